/**
 * `npm run check:runtime` (part of `npm run typecheck`): exactly one wrangler, miniflare and workerd
 * are installed. Two copies would mean the Workers tests run on another runtime than `npm start`,
 * the browser suite and deploy (package.json `overrides` keep the vitest plugin on ours).
 * Extra arguments go to npm ls (e.g. --package-lock-only to check the lock file alone).
 */
import { spawnSync } from "node:child_process";

interface Node {
  version?: string;
  invalid?: string;
  dependencies?: Record<string, Node>;
}

const PACKAGES = ["wrangler", "miniflare", "workerd"];

const result = spawnSync("npm", ["ls", ...PACKAGES, "--all", "--json", ...process.argv.slice(2)], {
  encoding: "utf8",
  shell: process.platform === "win32",
});
let tree: Node;
try {
  tree = JSON.parse(result.stdout) as Node;
} catch {
  process.stderr.write(`check:runtime: npm ls gave no JSON (exit ${result.status})\n${result.stderr}`);
  process.exit(1);
}

const versions = new Map<string, Set<string>>(PACKAGES.map((name) => [name, new Set()]));
const problems: string[] = [];
const walk = (node: Node, path: string[]) => {
  for (const [name, child] of Object.entries(node.dependencies ?? {})) {
    if (child.invalid) problems.push(`${[...path, name].join(" > ")}: ${child.invalid}`);
    if (child.version) versions.get(name)?.add(child.version);
    walk(child, [...path, name]);
  }
};
walk(tree, []);

for (const [name, found] of versions) {
  if (found.size === 0) problems.push(`${name} is not installed (run npm ci)`);
  if (found.size > 1)
    problems.push(`${name}: ${found.size} versions installed (${[...found].join(", ")}); align them in package.json "overrides"`);
}
if (problems.length > 0) {
  process.stderr.write(`check:runtime: one runtime expected\n  ${problems.join("\n  ")}\n`);
  process.exit(1);
}
console.log(`One runtime: ${PACKAGES.map((name) => `${name} ${[...(versions.get(name) ?? [])][0]}`).join(", ")}`);
