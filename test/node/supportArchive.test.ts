/**
 * `npm run support -- archive` as operators run it: --dry-run says what would move and writes
 * nothing, --list lists the runs, a run now reports what left D1, and flags that do not go together
 * are refused with a clear message.
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, runCli, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

describe("support archive", () => {
  const dir = tempDir("support-archive-");
  const archive = (...args: string[]) => runCli(["archive", ...args, "--persist-to", dir], { script: "scripts/support.ts" });

  it("refuses flags that do not go together", async () => {
    const both = await archive("--dry-run", "--list");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--dry-run and --list are separate");
    const limit = await archive("--limit", "5");
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain("--limit goes with --list");
  }, 180_000);

  it("shows what would move, runs, and lists the runs", async () => {
    const preview = await archive("--dry-run");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("Archival is on.");
    expect(preview.stdout).toMatch(/Payments finished and untouched before \d{4}-\d{2}-\d{2} \(Pacific\): 0/);
    expect(preview.stdout).toMatch(/Audit rows before \d{4}-\d{2}-\d{2}: 0/);

    // A new database holds nothing old enough: the run says so and writes no object.
    const run = await archive("--json");
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ runs: [], paymentsDeleted: 0, auditRowsDeleted: 0 });

    const list = await archive("--list");
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("No archive runs.");
  }, 240_000);
});
