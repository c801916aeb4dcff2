/**
 * Bindings for the command-line tools, through wrangler's getPlatformProxy: the local D1/R2 that
 * `wrangler dev` uses (persisted under .wrangler/state), or with --remote the deployed ones.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";

export interface PlatformOptions {
  remote: boolean;
  environment?: string | undefined;
  /** Local persistence directory (the `v3` folder); defaults to the one `wrangler dev` uses. */
  persistPath?: string | undefined;
}

/** Keep local tooling on loopback: no Request.cf download, no telemetry. */
export const OFFLINE_ENV = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true",
};
Object.assign(process.env, OFFLINE_ENV);

export function readDevVars(file = ".dev.vars"): Record<string, string> {
  const vars: Record<string, string> = {};
  const path = existsSync(file) ? file : ".dev.vars.example";
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (match) vars[match[1] as string] = (match[2] as string).replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

export function ensureDevVars(): void {
  if (!existsSync(".dev.vars")) writeFileSync(".dev.vars", readFileSync(".dev.vars.example", "utf8"));
}

/** wrangler with this project's Node; never prompts (CI=true). */
export function wrangler(args: string[], options: { quiet?: boolean } = {}): void {
  const result = spawnSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", ...args], {
    stdio: options.quiet ? ["ignore", "pipe", "pipe"] : "inherit",
    env: { ...process.env, ...OFFLINE_ENV, CI: "true" },
  });
  if (result.status !== 0) {
    if (options.quiet) process.stderr.write(`${result.stdout}${result.stderr}`);
    throw new Error(`wrangler ${args.join(" ")} failed with exit code ${result.status}`);
  }
}

/** wrangler's standard output, for commands that answer in JSON (`--json`); never prompts. */
export function wranglerOutput(args: string[]): string {
  const result = spawnSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, ...OFFLINE_ENV, CI: "true" },
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout}${result.stderr}`);
    throw new Error(`wrangler ${args.join(" ")} failed with exit code ${result.status}`);
  }
  return result.stdout;
}

export async function withPlatform<T>(options: PlatformOptions, work: (env: Env) => Promise<T>): Promise<T> {
  // Local runs use the embedded defaults, as `npm start` does (else wrangler warns about missing secrets).
  if (!options.remote) ensureDevVars();
  let configPath = "wrangler.toml";
  if (options.remote) {
    // getPlatformProxy reaches deployed resources only for bindings marked remote.
    const dir = mkdtempSync(join(tmpdir(), "paybc-"));
    configPath = join(dir, "wrangler.toml");
    const toml = readFileSync("wrangler.toml", "utf8")
      .replace(/\[\[(?:env\.\w+\.)?d1_databases\]\]\n/g, (m) => `${m}remote = true\n`)
      .replace(/\[\[(?:env\.\w+\.)?r2_buckets\]\]\n/g, (m) => `${m}remote = true\n`)
      .replaceAll('migrations_dir = "migrations"', `migrations_dir = "${join(process.cwd(), "migrations")}"`)
      .replace('main = "src/index.ts"', `main = "${join(process.cwd(), "src/index.ts")}"`);
    writeFileSync(configPath, toml);
  }
  const proxy = await getPlatformProxy<Env>({
    configPath,
    environment: options.environment,
    remoteBindings: options.remote,
    persist: options.remote ? false : { path: options.persistPath ?? ".wrangler/state/v3" },
  });
  try {
    return await work(proxy.env);
  } finally {
    await proxy.dispose();
  }
}
