/**
 * `npm run test:e2e`: the end-to-end suite (test/e2e) in headless Chromium against the portal run
 * locally by `wrangler dev`, isolated from `npm start`: fresh D1 state in a temporary directory,
 * free loopback ports, nothing sent off the machine.
 *
 * Two portals start from the same migrated and seeded state: one with the normal payment expiry
 * (every flow but one) and one whose payments expire after 3 seconds (the expired flow), so that a
 * slow machine cannot turn a card-form check into an expired payment.
 *
 * Chromium: /usr/bin/chromium, or CHROMIUM_PATH. Missing: skipped (exit 0), or a failure when CI=true.
 * Bounded: E2E_TIMEOUT_SECONDS (default 600) ends everything, wrangler and vitest, with exit code 1.
 * Arguments go to vitest: `npm run test:e2e -- test/e2e/payment.e2e.ts -t declined`.
 */
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { database } from "../src/db/client.ts";
import { createPartner, DEMO_PARTNER } from "../src/services/onboarding.ts";
import { reconcileSandbox } from "../src/services/reconciliation.ts";
import { findCardNumbers, SECURITY_CODE_FIELD } from "../test/helpers/cardScan.ts";
import { type DevPortal, ROOT, runWrangler, spawnGroup, startDevPortal, stopProcesses } from "./lib/devPortal.ts";
import { ensureDevVars, OFFLINE_ENV, readDevVars, withPlatform } from "./lib/platform.ts";

process.chdir(ROOT);

const VITEST_JS = join(ROOT, "node_modules/vitest/vitest.mjs");
const RESULTS_DIR = join(ROOT, "test-results");
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_SECONDS || 600) * 1000;
const STARTUP_TIMEOUT_MS = 120_000;
/** PAYMENT_EXPIRY_MINUTES for the expiry portal: 3 seconds. */
const SHORT_EXPIRY_MINUTES = "0.05";

function log(message: string): void {
  console.log(`[e2e] ${message}`);
}

// ---------------------------------------------------------------- Chromium

const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
try {
  accessSync(chromiumPath, constants.X_OK);
} catch {
  if (process.env.CI === "true") {
    console.error(
      `[e2e] FAILED: Chromium not found at ${chromiumPath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`,
    );
    process.exit(1);
  }
  log(`skipped: install chromium (apt-get install -y chromium); no executable at ${chromiumPath} (or set CHROMIUM_PATH)`);
  process.exit(0);
}

// ---------------------------------------------------------------- processes we start, and how they end

const tempDirs: string[] = [];
let finishing = false;

/** Every process we started (wrangler, vitest and theirs, by process group), then the temporary state. */
async function stopAll(): Promise<void> {
  await stopProcesses();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

async function finish(code: number, reason?: string): Promise<never> {
  if (finishing) return new Promise<never>(() => {});
  finishing = true;
  if (reason) console.error(`[e2e] ${reason}`);
  await stopAll();
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void finish(signal === "SIGINT" ? 130 : 143, `stopped by ${signal}`));
}
setTimeout(() => void finish(1, `FAILED: global timeout of ${TIMEOUT_MS / 1000} s reached`), TIMEOUT_MS).unref();

// ---------------------------------------------------------------- the portals

async function prepareState(): Promise<string> {
  const persistDir = mkdtempSync(join(tmpdir(), "paybc-e2e-"));
  tempDirs.push(persistDir);
  log(`applying D1 migrations into ${persistDir}`);
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir]);
  const secrets = readDevVars();
  await withPlatform({ remote: false, persistPath: join(persistDir, "v3") }, async (env) => {
    await createPartner(database(env.DB), secrets.API_KEY_ENCRYPTION_KEY as string, DEMO_PARTNER.spec, new Date(), {
      apiKey: DEMO_PARTNER.apiKey,
      clientId: DEMO_PARTNER.clientId,
      clientSecret: DEMO_PARTNER.clientSecret,
    });
  });
  log("seeded the demo partner 10006");
  return persistDir;
}

function startPortal(name: string, persistDir: string, vars: Record<string, string> = {}): Promise<DevPortal> {
  return startDevPortal({
    name,
    persistDir,
    vars,
    logFile: join(RESULTS_DIR, `wrangler-${name}.log`),
    readyPath: "/healthz",
    timeoutMs: STARTUP_TIMEOUT_MS,
    log,
    // The finance suite runs the nightly cron now (/cdn-cgi/local/scheduled), as `npm run nightly` does.
    extraArgs: ["--test-scheduled"],
  });
}

function runVitest(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawnGroup(process.execPath, [VITEST_JS, "run", "--config", "vitest.e2e.config.ts", ...process.argv.slice(2)], {
      env,
      stdio: "inherit",
    });
    child.on("error", fail);
    child.on("exit", (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

// ---------------------------------------------------------------- main

const started = Date.now();
try {
  // One screenshot per page state of this run (test-results/ is git-ignored).
  rmSync(join(RESULTS_DIR, "screenshots"), { recursive: true, force: true });
  mkdirSync(join(RESULTS_DIR, "screenshots"), { recursive: true });
  ensureDevVars();
  const persistDir = await prepareState();
  const expiryDir = mkdtempSync(join(tmpdir(), "paybc-e2e-expiry-"));
  tempDirs.push(expiryDir);
  cpSync(persistDir, expiryDir, { recursive: true });

  const [main, expiry] = await Promise.all([
    startPortal("main", persistDir),
    startPortal("expiry", expiryDir, { PAYMENT_EXPIRY_MINUTES: SHORT_EXPIRY_MINUTES }),
  ]);
  log(`portals ready after ${((Date.now() - started) / 1000).toFixed(1)} s; running vitest`);

  // Chromium's profiles (Playwright puts them in the temp dir) go in a folder removed at the end, even after a kill.
  const browserTmp = mkdtempSync(join(tmpdir(), "paybc-e2e-browser-"));
  tempDirs.push(browserTmp);
  const code = await runVitest({
    ...process.env,
    ...OFFLINE_ENV,
    // The tests read the D1 file with node:sqlite, still flagged experimental in Node 22.
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --disable-warning=ExperimentalWarning`.trim(),
    E2E_BASE_URL: main.baseUrl,
    E2E_EXPIRY_BASE_URL: expiry.baseUrl,
    E2E_PERSIST_DIR: persistDir,
    CHROMIUM_PATH: chromiumPath,
    TMPDIR: browserTmp,
  });
  if (!finishing) log(`vitest exited with code ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
  const mismatches = (await reconcilePortal("main", persistDir)) + (await reconcilePortal("expiry", expiryDir));
  const outboxLeaks = (await sweepOutbox("main", main.baseUrl)) + (await sweepOutbox("expiry", expiry.baseUrl));
  const leaks =
    outboxLeaks +
    sweepForCardData([
      persistDir,
      expiryDir,
      ...readdirSync(RESULTS_DIR)
        .filter((f) => f.startsWith("wrangler-"))
        .map((f) => join(RESULTS_DIR, f)),
    ]);
  const problem =
    leaks > 0
      ? `FAILED: ${leaks} place(s) hold card data`
      : mismatches > 0
        ? `FAILED: ${mismatches} reconciliation mismatch(es)`
        : undefined;
  await finish(problem === undefined ? code : 1, problem);
} catch (error) {
  await finish(1, `FAILED: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * After the whole suite: every payment the browsers made, against the sandbox processor's own
 * ledger, the signed responses and the journals (the money-integrity invariant). Returns the count
 * of mismatches.
 */
async function reconcilePortal(name: string, persistDir: string): Promise<number> {
  const report = await withPlatform({ remote: false, persistPath: join(persistDir, "v3") }, (env) =>
    reconcileSandbox(database(env.DB)),
  );
  log(
    `reconciliation (${name} portal): ${report.transactions} transactions, ${report.awaitingOutcome} awaiting an outcome, ${report.mismatches.length} mismatches`,
  );
  for (const mismatch of report.mismatches) log(`  ${mismatch.target}: ${mismatch.rule} (${mismatch.detail})`);
  return report.mismatches.length;
}

/**
 * After the whole suite: the receipt emails the portal would have sent (EMAIL_SENDER=capture keeps
 * them; /demo/outbox shows them as a developer reads them, HTML and text) hold no card number and no
 * security code. The D1 rows behind it are also in the byte sweep below. Returns the count of leaks.
 */
async function sweepOutbox(name: string, baseUrl: string): Promise<number> {
  let html: string;
  try {
    const response = await fetch(`${baseUrl}/demo/outbox`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    html = await response.text();
  } catch (error) {
    log(`email outbox (${name} portal) could not be read: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const messages = html.match(/<section\b/g)?.length ?? 0;
  const cards = findCardNumbers(html);
  const codes = SECURITY_CODE_FIELD.exec(html);
  log(
    `email outbox sweep (${name} portal): ${messages} captured receipt(s), ${cards.length} card-like number(s)${codes ? ", a security code field" : ""}`,
  );
  return cards.length > 0 || codes ? 1 : 0;
}

/**
 * After the whole suite: every byte the portals kept (D1 databases, R2 objects, their logs) is
 * scanned for anything that looks like a card number or a security code field. None may appear.
 */
function sweepForCardData(paths: string[]): number {
  let files = 0;
  let leaks = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
      return;
    }
    files++;
    const text = readFileSync(path).toString("latin1");
    const cards = findCardNumbers(text);
    const codes = SECURITY_CODE_FIELD.exec(text);
    if (cards.length > 0 || codes) {
      leaks++;
      log(`card data in ${path}: ${cards.length} card-like number(s)${codes ? ", a security code field" : ""}`);
    }
  };
  for (const path of paths) visit(path);
  log(`card data sweep: ${files} files scanned (D1, R2, logs), ${leaks} with card data`);
  if (files === 0) {
    log("card data sweep found nothing to scan");
    return 1;
  }
  return leaks;
}
