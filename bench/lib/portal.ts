/**
 * The portal under test, started exactly as `npm start` / the e2e suite start it: `wrangler dev`
 * (workerd) with local D1 and R2 and the sandbox processor, on a free loopback port, in an
 * isolated temporary state directory, with `--var BENCH:true` and `--test-scheduled`.
 * Every process started here runs in its own process group and is stopped by `stopAll()`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureDevVars, OFFLINE_ENV, readDevVars, withPlatform } from "../../scripts/lib/platform.ts";
import { database } from "../../src/db/client.ts";
import { createPartner, DEMO_PARTNER } from "../../src/services/onboarding.ts";
import { commandLine, descendants, workerdPids } from "./proc.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
/** Wrangler logs of the last run (git-ignored). */
export const LOG_DIR = join(ROOT, "bench/.tmp");

/** Loopback only: no Request.cf download, no telemetry, no update banner, never a prompt. */
export const WRANGLER_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  ...OFFLINE_ENV,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CI: "true",
};
const WRANGLER_JS = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const STARTUP_TIMEOUT_MS = 120_000;

export function log(message: string): void {
  console.log(`[bench] ${message}`);
}

// ---------------------------------------------------------------- processes and temp dirs we own

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !alive(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

async function stopChildren(list: ChildProcess[]): Promise<void> {
  const running = list.filter(alive);
  for (const child of running) killGroup(child, "SIGTERM");
  const exited = Promise.all(
    running.map((child) => new Promise<void>((done) => (alive(child) ? child.once("exit", () => done()) : done()))),
  );
  await Promise.race([exited, new Promise<void>((done) => setTimeout(done, 5000).unref())]);
  for (const child of running) killGroup(child, "SIGKILL");
  for (const child of list) children.delete(child);
}

/** Stop every process we started and remove the temporary state. */
export async function stopAll(): Promise<void> {
  await stopChildren([...children]);
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const at = tempDirs.indexOf(dir);
  if (at !== -1) tempDirs.splice(at, 1);
}

function runWrangler(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WRANGLER_JS, ...args], {
      cwd: wranglerCwd(),
      env: WRANGLER_ENV,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let output = "";
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    child.on("error", fail);
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (code === 0) return done();
      process.stderr.write(output);
      fail(new Error(`wrangler ${args.join(" ")} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

// ---------------------------------------------------------------- the code under test

/** What is copied into the snapshot that wrangler runs from. */
const SNAPSHOT_FILES = [
  "src",
  "migrations",
  "wrangler.toml",
  "package.json",
  "tsconfig.json",
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
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir]);
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

export interface Portal {
  name: string;
  baseUrl: string;
  port: number;
  /** wrangler's inspector (DevTools protocol) for the Worker. */
  inspectorPort: number;
  logFile: string;
  persistDir: string;
  child: ChildProcess;
  /** The workerd processes serving it (descendants of wrangler): the entry proxy and the Worker's runtime. */
  workerd: number[];
  /** Who is who, for the CPU breakdown: runtime (the Worker, D1, R2), proxy (wrangler's entry workerd), wrangler (node). */
  roles: Record<string, number>;
}

export async function startPortal(name: string, persistDir: string): Promise<Portal> {
  mkdirSync(LOG_DIR, { recursive: true });
  const port = await freePort();
  const inspectorPort = await freePort();
  const logFile = join(LOG_DIR, `wrangler-${name}.log`);
  const out = openSync(logFile, "w");
  const args = [
    WRANGLER_JS,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistDir,
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    "--var",
    "BENCH:true",
  ];
  const child = spawn(process.execPath, args, {
    cwd: wranglerCwd(),
    env: WRANGLER_ENV,
    detached: true,
    stdio: ["ignore", out, out],
  });
  children.add(child);
  const portal: Portal = {
    name,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    inspectorPort,
    logFile,
    persistDir,
    child,
    workerd: [],
    roles: {},
  };
  log(`starting the ${name} portal on ${portal.baseUrl} (log: ${logFile})`);
  await waitReady(portal);
  portal.workerd = workerdPids(child.pid as number);
  if (portal.workerd.length === 0) throw new Error(`no workerd process found under wrangler (pid ${child.pid})`);
  for (const stat of descendants(child.pid as number)) {
    const command = commandLine(stat.pid);
    if (stat.comm.startsWith("workerd")) portal.roles[command.includes("--inspector-addr") ? "runtime" : "proxy"] = stat.pid;
    else if (command.includes("wrangler")) portal.roles.wrangler = stat.pid;
  }
  return portal;
}

async function waitReady(portal: Portal): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!alive(portal.child)) break;
    try {
      const response = await fetch(`${portal.baseUrl}/__bench/baseline`, { signal: AbortSignal.timeout(2000) });
      if (response.ok && (await response.text()) === "ok") return;
      if (response.status === 404) throw new Error("GET /__bench/baseline answered 404: BENCH=true did not reach the Worker");
    } catch (error) {
      if (error instanceof Error && error.message.includes("BENCH=true")) throw error;
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`the ${portal.name} portal did not answer at ${portal.baseUrl}\n${logTail(portal, 40)}`);
}

export function logTail(portal: Portal, lines: number): string {
  try {
    return readFileSync(portal.logFile, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export async function stopPortal(portal: Portal): Promise<void> {
  await stopChildren([portal.child]);
}
