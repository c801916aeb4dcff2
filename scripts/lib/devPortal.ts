/**
 * A local portal for tooling (the e2e suite, the Node tests, the bench): `wrangler dev` on loopback
 * with free ports, its own D1/R2 state (--persist-to), offline, its output in a log file, ready when
 * an HTTP path answers. Every process started here runs in its own process group (detached), so that
 * wrangler's workerd (or vitest's Chromium) ends with it; whatever is still running when this
 * process exits is killed, so even an abrupt end leaves no portal behind.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { OFFLINE_ENV } from "./platform.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
export const WRANGLER_JS = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/** This process's environment, for wrangler without its update check (the banner), telemetry or Request.cf download, never prompting. */
export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...OFFLINE_ENV, WRANGLER_HIDE_BANNER: "true", CI: "true", ...extra };
}

// ---------------------------------------------------------------- processes we start, and how they end

const children = new Set<ChildProcess>();

process.on("exit", () => {
  for (const child of children) killGroup(child, "SIGKILL");
});

export function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
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

/** spawn() in a process group of its own, remembered until it exits (and killed if we exit first). */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** SIGTERM, up to 5 s to exit, then SIGKILL: the given processes, or every one still running. */
export async function stopProcesses(list: ChildProcess[] = [...children]): Promise<void> {
  const running = list.filter(alive);
  for (const child of running) killGroup(child, "SIGTERM");
  const exited = Promise.all(
    running.map((child) => new Promise<void>((done) => (alive(child) ? child.once("exit", () => done()) : done()))),
  );
  await Promise.race([exited, new Promise<void>((done) => setTimeout(done, 5000).unref())]);
  for (const child of running) killGroup(child, "SIGKILL");
  for (const child of list) children.delete(child);
}

/** A wrangler command run to completion; its output is shown only if it fails. */
export function runWrangler(args: string[], options: { cwd?: string } = {}): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawnGroup(process.execPath, [WRANGLER_JS, ...args], {
      cwd: options.cwd ?? ROOT,
      env: wranglerEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    child.on("error", fail);
    child.on("exit", (code, signal) => {
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

/** The last lines of a log file ("" if there is none), for error messages. */
export function logTail(logFile: string, lines = 40): string {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------- the portal

export interface DevPortalOptions {
  /** For messages: "the <name> portal". */
  name: string;
  /** The state directory (--persist-to). */
  persistDir: string;
  /** wrangler's stdout and stderr (overwritten). */
  logFile: string;
  /** Polled with GET until readyCheck accepts the answer, e.g. "/healthz". */
  readyPath: string;
  /** Ready or not yet; may throw to give up at once. Default: any 2xx. */
  readyCheck?: (response: Response) => boolean | Promise<boolean>;
  timeoutMs: number;
  /** Where wrangler runs (wrangler.toml, src/): default the repository. */
  cwd?: string;
  /** --var NAME:value each. */
  vars?: Record<string, string>;
  /** --env-file: the secrets, where wrangler would not find .dev.vars in cwd itself. */
  envFile?: string;
  extraArgs?: string[];
  /** Added to wranglerEnv(), e.g. WRANGLER_LOG. */
  env?: Record<string, string>;
  /** The Node that runs wrangler: default this one. */
  node?: string;
  /** Told where the portal starts and where it logs. */
  log?: (message: string) => void;
}

export interface DevPortal {
  name: string;
  baseUrl: string;
  port: number;
  /** wrangler's inspector (DevTools protocol) for the Worker. */
  inspectorPort: number;
  logFile: string;
  persistDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `wrangler dev` and resolves once it is ready; if it never is, stops it and rejects with its log's tail. */
export async function startDevPortal(options: DevPortalOptions): Promise<DevPortal> {
  const port = await freePort();
  const inspectorPort = await freePort();
  mkdirSync(dirname(options.logFile), { recursive: true });
  const out = openSync(options.logFile, "w");
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
    options.persistDir,
    "--show-interactive-dev-session=false",
    ...(options.envFile ? ["--env-file", options.envFile] : []),
    ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ...(options.extraArgs ?? []),
  ];
  const child = spawnGroup(options.node ?? process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: wranglerEnv(options.env),
    stdio: ["ignore", out, out],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const portal: DevPortal = {
    name: options.name,
    baseUrl,
    port,
    inspectorPort,
    logFile: options.logFile,
    persistDir: options.persistDir,
    child,
    stop: () => stopProcesses([child]),
  };
  options.log?.(`starting the ${options.name} portal on ${baseUrl} (log: ${options.logFile})`);
  try {
    if (await waitReady(portal, options)) return portal;
  } catch (error) {
    await portal.stop();
    throw error;
  }
  await portal.stop();
  throw new Error(`the ${options.name} portal did not answer ${options.readyPath} at ${baseUrl}\n${logTail(options.logFile)}`);
}

/** true once ready; false if wrangler exited or time ran out. */
async function waitReady(portal: DevPortal, options: DevPortalOptions): Promise<boolean> {
  const check = options.readyCheck ?? ((response: Response) => response.ok);
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && alive(portal.child)) {
    let response: Response | undefined;
    try {
      response = await fetch(`${portal.baseUrl}${options.readyPath}`, { signal: AbortSignal.timeout(2000) });
    } catch {
      // not listening yet
    }
    if (response) {
      // Outside the try: a readyCheck that throws ends the wait.
      const ready = await check(response);
      // An unread body would hold its connection open.
      if (!response.bodyUsed) await response.body?.cancel().catch(() => {});
      if (ready) return true;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  return false;
}
