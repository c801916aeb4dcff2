/**
 * `npm run support -- audit` as support staff run it: bad flags are refused with a clear message,
 * "no matches" is said, and the action names the log holds can be listed.
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, runCli, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

describe("support audit", () => {
  const dir = tempDir("support-audit-");
  const audit = (...args: string[]) => runCli(["audit", ...args, "--persist-to", dir], { script: "scripts/support.ts" });

  it("refuses a --from or --limit it cannot use, and says so", async () => {
    const from = await audit("--from", "yesterday");
    expect(from.code).toBe(2);
    expect(from.stderr).toContain("--from must be a date or UTC time");
    const limit = await audit("--limit", "0");
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain("--limit must be a number from 1 to 1000");
  }, 180_000);

  it("says when nothing matches, and lists the actions the log holds", async () => {
    // Creating a partner writes an audit entry.
    const created = await runCli(
      [
        "create",
        "--ref",
        "10777",
        "--name",
        "Audit Ministry",
        "--redirect",
        "https://app.example.ca/return",
        "--persist-to",
        dir,
      ],
      {},
    );
    expect(created.code).toBe(0);
    const none = await audit("--action", "no.such.action");
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("No audit entries match.");
    const actions = await audit("--list-actions", "--json");
    expect(actions.code).toBe(0);
    expect((actions.json as Array<{ action: string; count: number }>).map((a) => a.action)).toContain("partner.created");
  }, 240_000);
});
