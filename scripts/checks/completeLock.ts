/**
 * `npm run check:lock` (part of `npm run typecheck`): package-lock.json lists every optional
 * dependency of every package (other platforms' binaries of biome, workerd, esbuild...), so that
 * `npm ci` works on any machine. npm drops an optional package it cannot fetch from the lock;
 * then `npm ci` fails elsewhere and `npm install` rewrites the lock.
 */
import { readFileSync } from "node:fs";

interface Entry {
  version?: string;
  optionalDependencies?: Record<string, string>;
}

const { packages } = JSON.parse(readFileSync(new URL("../../package-lock.json", import.meta.url), "utf8")) as {
  packages: Record<string, Entry>;
};

/** Where Node would find `name` from the package installed at `from` (its own node_modules, then up). */
function resolveFrom(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

const missing: string[] = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    if (!resolveFrom(path, name)) missing.push(`${path || "(root)"} -> ${name}@${range}`);
  }
}
if (missing.length > 0) {
  process.stderr.write(
    `check:lock: package-lock.json lacks optional dependencies, so npm ci fails on some platforms:\n  ${missing.join("\n  ")}\n` +
      "Pin the parent to a version whose binaries exist for every platform (npm view <package> versions), then npm install.\n",
  );
  process.exit(1);
}
console.log(`package-lock.json is complete (${Object.keys(packages).length - 1} packages).`);
