/**
 * The portal under test, started exactly as `npm start` / the e2e suite start it: `wrangler dev`
 * (workerd) with local D1 and R2 and the sandbox processor, on a free loopback port, in an
 * isolated temporary state directory, with `--var BENCH:true` and `--test-scheduled`.
 * Every process started here runs in its own process group and is stopped by `stopAll()`.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DevPortal, ROOT, runWrangler, startDevPortal, stopProcesses } from "../../scripts/lib/devPortal.ts";
import { ensureDevVars, readDevVars, withPlatform } from "../../scripts/lib/platform.ts";
import { database } from "../../src/db/client.ts";
import { createPartner, DEMO_PARTNER } from "../../src/services/onboarding.ts";
import { commandLine, descendants, workerdPids } from "./proc.ts";

export { ROOT };
/** Wrangler logs of the last run (git-ignored). */
export const LOG_DIR = join(ROOT, "bench/.tmp");

const STARTUP_TIMEOUT_MS = 120_000;

export function log(message: string): void {
  console.log(`[bench] ${message}`);
}

// ---------------------------------------------------------------- processes and temp dirs we own

const tempDirs: string[] = [];

/** Stop every process we started and remove the temporary state. */
export async function stopAll(): Promise<void> {
  await stopProcesses();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const at = tempDirs.indexOf(dir);
  if (at !== -1) tempDirs.splice(at, 1);
}

// ---------------------------------------------------------------- the code under test

/** What is copied into the snapshot that wrangler runs from. */
const SNAPSHOT_FILES = [
  "src",
  "migrations",
  "wrangler.toml",
  "package.json",
  "tsconfig.json",
  // tsconfig.json extends it: without it wrangler builds the JSX pages for React, and every page fails
  "tsconfig.base.json",
  "worker-configuration.d.ts",
  ".dev.vars",
];
let snapshotDir = "";

/**
 * `wrangler dev` rebuilds and reloads the Worker whenever a watched source file changes, and other
 * work may edit this tree while the benchmark runs: every portal therefore runs from a copy of the
 * working tree taken once at the start (node_modules linked), so all scenarios measure the same code.
 * `source` (env BENCH_SOURCE) benchmarks another checkout instead, e.g. a candidate fix.
 */
export function takeSnapshot(source = ROOT): { dir: string; source: string; head: string; uncommitted: string[] } {
  ensureDevVars();
  snapshotDir = mkdtempSync(join(tmpdir(), "paybc-bench-src-"));
  tempDirs.push(snapshotDir);
  for (const entry of SNAPSHOT_FILES) {
    const from = existsSync(join(source, entry)) ? join(source, entry) : join(ROOT, entry);
    if (existsSync(from)) cpSync(from, join(snapshotDir, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(snapshotDir, "node_modules"), "dir");
  const git = (args: string[]) => spawnSync("git", args, { cwd: source, encoding: "utf8" }).stdout?.trim() ?? "";
  const head = git(["rev-parse", "--short", "HEAD"]);
  const uncommitted = git(["status", "--porcelain", "--", "src", "migrations", "wrangler.toml"]).split("\n").filter(Boolean);
  return { dir: snapshotDir, source, head, uncommitted };
}

/** The Worker bundle `wrangler dev` built (for reading CPU profiles), or null. */
export function devBundle(): string | null {
  const dir = join(wranglerCwd(), ".wrangler/tmp");
  try {
    const candidates = readdirSync(dir)
      .filter((name) => name.startsWith("dev-"))
      .map((name) => join(dir, name, "index.js"))
      .filter((path) => existsSync(path))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    return candidates[0] ?? null;
  } catch {
    return null;
  }
}

function wranglerCwd(): string {
  if (!snapshotDir) throw new Error("takeSnapshot() first");
  return snapshotDir;
}

// ---------------------------------------------------------------- state

/** A migrated state directory with the demo partner 10006, to be copied for each portal. */
export async function prepareTemplate(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "paybc-bench-template-"));
  tempDirs.push(dir);
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { cwd: wranglerCwd() });
  const secrets = readDevVars(join(ROOT, ".dev.vars"));
  await withPlatform({ remote: false, persistPath: join(dir, "v3") }, async (env) => {
    await createPartner(database(env.DB), secrets.API_KEY_ENCRYPTION_KEY as string, DEMO_PARTNER.spec, new Date(), {
      apiKey: DEMO_PARTNER.apiKey,
      clientId: DEMO_PARTNER.clientId,
      clientSecret: DEMO_PARTNER.clientSecret,
    });
  });
  return dir;
}

/** A fresh copy of the template state. */
export function cloneState(template: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `paybc-bench-${name}-`));
  tempDirs.push(dir);
  cpSync(template, dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------- the portal

/** A portal with the processes that serve it, for the CPU and memory readings. */
export interface Portal extends DevPortal {
  /** The workerd processes serving it (descendants of wrangler): the entry proxy and the Worker's runtime. */
  workerd: number[];
  /** Who is who, for the CPU breakdown: runtime (the Worker, D1, R2), proxy (wrangler's entry workerd), wrangler (node). */
  roles: Record<string, number>;
}

/** `env`: extra environment for wrangler and workerd (e.g. MINIFLARE_WORKERD_V8_FLAGS). */
export async function startPortal(name: string, persistDir: string, env: Record<string, string> = {}): Promise<Portal> {
  const started = await startDevPortal({
    name,
    persistDir,
    env,
    cwd: wranglerCwd(),
    vars: { BENCH: "true" },
    extraArgs: ["--test-scheduled"],
    logFile: join(LOG_DIR, `wrangler-${name}.log`),
    readyPath: "/__bench/baseline",
    readyCheck: baselineAnswers,
    timeoutMs: STARTUP_TIMEOUT_MS,
    log,
  });
  const portal: Portal = { ...started, workerd: [], roles: {} };
  const pid = portal.child.pid as number;
  portal.workerd = workerdPids(pid);
  if (portal.workerd.length === 0) throw new Error(`no workerd process found under wrangler (pid ${pid})`);
  for (const stat of descendants(pid)) {
    const command = commandLine(stat.pid);
    if (stat.comm.startsWith("workerd")) portal.roles[command.includes("--inspector-addr") ? "runtime" : "proxy"] = stat.pid;
    else if (command.includes("wrangler")) portal.roles.wrangler = stat.pid;
  }
  return portal;
}

/** The trivial route that BENCH=true enables; a 404 means the var never reached the Worker, so waiting longer is pointless. */
async function baselineAnswers(response: Response): Promise<boolean> {
  if (response.status === 404) throw new Error("GET /__bench/baseline answered 404: BENCH=true did not reach the Worker");
  try {
    return response.ok && (await response.text()) === "ok";
  } catch {
    return false; // cut off mid-answer: still starting
  }
}

export function stopPortal(portal: Portal): Promise<void> {
  return portal.stop();
}
