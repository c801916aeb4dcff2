/** `npm run partner -- load-accounts`: a file with bad lines is refused, naming each line, before anything is written. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { removeTempDirs, runCli, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

it("names the line of every account that is not in the ledger's format", async () => {
  const dir = tempDir("load-accounts-");
  const file = join(dir, "accounts.txt");
  writeFileSync(
    file,
    ["# revenue accounts", "039.18ACE.14691.8928.1800000.000000.0000", "", "039.18ACE.14691", "not an account  # typo"].join(
      "\n",
    ),
  );
  const result = await runCli(["load-accounts", "--ref", "10006", "--file", file, "--persist-to", dir]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("accounts.txt line 4:");
  expect(result.stderr).toContain("accounts.txt line 5:");
  expect(result.stderr).not.toContain("line 2:");
}, 120_000);
