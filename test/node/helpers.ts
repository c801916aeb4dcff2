/**
 * Helpers for the Node-side tests (vitest.node.config.ts): run the onboarding CLI as an operator
 * would, and run the Worker with `wrangler dev` on a given local state directory. Everything stays
 * on loopback; every process started here runs in its own process group and is ended with it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

/** A Node that runs .ts by type stripping: this one if it can (npm scripts, npx), else the project's. */
export const NODE =
  Number(process.versions.node.split(".")[0]) >= 23 || /^22\.(?:[6-9]|\d\d)\./.test(process.versions.node)
    ? process.execPath
    : join(ROOT, "node_modules/.bin/node");

const OFFLINE_ENV = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true",
  CI: "true",
};

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs(). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON. */
  json: unknown;
}

/** `npm run partner -- <args>`, as a separate process, like an operator runs it. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(NODE, [join(ROOT, "scripts/partner.ts"), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...OFFLINE_ENV, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      fail(new Error(`partner ${args.join(" ")} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      done({ code, stdout, stderr, json });
    });
  });
}

/** Runs the CLI and insists on success, returning its JSON output. */
export async function cliJson<T>(args: string[], persistDir: string): Promise<T> {
  const result = await runCli([...args, "--json", "--persist-to", persistDir]);
  if (result.code !== 0 || result.json === undefined) {
    throw new Error(`partner ${args.join(" ")} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result.json as T;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
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

export interface RunningWorker {
  baseUrl: string;
  logFile: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A test process that ends abruptly still takes wrangler and workerd with it.
process.on("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});

/**
 * `wrangler dev` on loopback with the given local state (the directory given to --persist-to),
 * the same local secrets the CLI uses (.dev.vars, else .dev.vars.example), ready when /healthz answers.
 */
export async function startWorker(persistDir: string, timeoutMs = 150_000): Promise<RunningWorker> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const logFile = join(persistDir, "wrangler-dev.log");
  const out = openSync(logFile, "w");
  const secrets = existsSync(join(ROOT, ".dev.vars")) ? ".dev.vars" : ".dev.vars.example";
  const child = spawn(
    NODE,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      persistDir,
      "--env-file",
      join(ROOT, secrets),
      "--show-interactive-dev-session=false",
    ],
    { cwd: ROOT, env: { ...process.env, ...OFFLINE_ENV, WRANGLER_LOG: "log" }, detached: true, stdio: ["ignore", out, out] },
  );
  running.add(child);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async () => {
    killGroup(child, "SIGTERM");
    await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
    killGroup(child, "SIGKILL");
    running.delete(child);
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return { baseUrl, logFile, stop };
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 300));
  }
  await stop();
  const tail = readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n");
  throw new Error(`wrangler dev did not answer ${baseUrl}/healthz\n${tail}`);
}
