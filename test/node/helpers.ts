/**
 * Helpers for the Node-side tests (vitest.node.config.ts): run the onboarding CLI as an operator
 * would, and run the Worker with `wrangler dev` on a given local state directory. Everything stays
 * on loopback; every process started here runs in its own process group and is ended with it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killGroup, ROOT, spawnGroup, startDevPortal, wranglerEnv } from "../../scripts/lib/devPortal.ts";

export { ROOT };

/** A Node that runs .ts by type stripping: this one if it can (npm scripts, npx), else the project's. */
export const NODE =
  Number(process.versions.node.split(".")[0]) >= 23 || /^22\.(?:[6-9]|\d\d)\./.test(process.versions.node)
    ? process.execPath
    : join(ROOT, "node_modules/.bin/node");

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

/** `npm run partner -- <args>` (or another CLI script), as a separate process, like an operator runs it. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; script?: string } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawnGroup(NODE, [join(ROOT, options.script ?? "scripts/partner.ts"), ...args], {
      cwd: options.cwd ?? ROOT,
      env: wranglerEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
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

export interface RunningWorker {
  baseUrl: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * `wrangler dev` on loopback with the given local state (the directory given to --persist-to),
 * the same local secrets the CLI uses (.dev.vars, else .dev.vars.example), ready when /healthz answers.
 */
export function startWorker(persistDir: string, timeoutMs = 150_000): Promise<RunningWorker> {
  const secrets = existsSync(join(ROOT, ".dev.vars")) ? ".dev.vars" : ".dev.vars.example";
  return startDevPortal({
    name: "test",
    persistDir,
    envFile: join(ROOT, secrets),
    env: { WRANGLER_LOG: "log" },
    node: NODE,
    logFile: join(persistDir, "wrangler-dev.log"),
    readyPath: "/healthz",
    timeoutMs,
  });
}
