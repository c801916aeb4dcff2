/**
 * The local round trip with the ledger, as docs/OPERATIONS.md tells finance staff to try it: post a
 * journal (the nightly cron through /__scheduled), write the ledger's FEEDBACK for it with
 * `journals make-feedback` (rejecting one line), process it with `journals feedback`, and send the
 * same file again. The CLI runs as a separate process against `wrangler dev` on loopback.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DevPortal,
  killGroup,
  ROOT,
  runWrangler,
  spawnGroup,
  startDevPortal,
  wranglerEnv,
} from "../../scripts/lib/devPortal.ts";
import { readDevVars, withPlatform } from "../../scripts/lib/platform.ts";
import { database } from "../../src/db/client.ts";
import { pacificDate } from "../../src/domain/businessTime.ts";
import { createPartner, DEMO_PARTNER } from "../../src/services/onboarding.ts";
import { NODE, removeTempDirs, tempDir } from "./helpers.ts";

const SECRETS_FILE = existsSync(join(ROOT, ".dev.vars")) ? ".dev.vars" : ".dev.vars.example";
const SECRETS = readDevVars(join(ROOT, SECRETS_FILE));

function journals(args: string[], portal: DevPortal): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawnGroup(
      NODE,
      [join(ROOT, "scripts/journals.ts"), ...args, "--url", portal.baseUrl, "--token", SECRETS.FINANCE_TOKEN as string],
      { cwd: ROOT, env: wranglerEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      fail(new Error(`journals ${args.join(" ")} did not finish in time\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe("journals CLI: the ledger round trip on a local portal", () => {
  let portal: DevPortal;
  let dir: string;
  const glDate = (() => {
    const date = new Date(`${pacificDate(new Date())}T12:00:00Z`);
    date.setUTCDate(date.getUTCDate() - 3);
    return date.toISOString().slice(0, 10);
  })();

  beforeAll(async () => {
    dir = tempDir("paybc-ledger-cli-");
    await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir]);
    await withPlatform({ remote: false, persistPath: join(dir, "v3") }, async (env) => {
      await createPartner(database(env.DB), SECRETS.API_KEY_ENCRYPTION_KEY as string, DEMO_PARTNER.spec, new Date(), {
        apiKey: DEMO_PARTNER.apiKey,
        clientId: DEMO_PARTNER.clientId,
        clientSecret: DEMO_PARTNER.clientSecret,
      });
      // One paid payment with two revenue lines, as a card payment leaves it.
      const at = `${glDate}T18:00:00.000Z`;
      await env.DB.prepare(
        `INSERT INTO transactions (pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date, description, trn_amount_cents,
           payment_method, currency, redirect_uri, payment_status, trn_order_id, paid_at, created_at, updated_at)
         VALUES ('10006', 'CLI-1', ?1, ?1, ?1, 'Licence', 10000, 'CC', 'CAD', 'http://127.0.0.1:9/', 'PAID', '10000001', ?2, ?2, ?2)`,
      )
        .bind(glDate, at)
        .run();
      await env.DB.prepare(
        `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status)
         SELECT id, 1, '039.18ACE.14691.8928.1800000.000000.0000', 7500, 'NEW' FROM transactions WHERE pbc_txn_number = 'CLI-1'
         UNION ALL SELECT id, 2, '039.18ACE.14692.8928.1800000.000000.0000', 2500, 'NEW' FROM transactions WHERE pbc_txn_number = 'CLI-1'`,
      ).run();
    });
    portal = await startDevPortal({
      name: "ledger CLI",
      persistDir: dir,
      envFile: join(ROOT, SECRETS_FILE),
      node: NODE,
      logFile: join(dir, "wrangler-dev.log"),
      readyPath: "/healthz",
      timeoutMs: 150_000,
      extraArgs: ["--test-scheduled"],
    });
  });

  afterAll(async () => {
    await portal?.stop();
    removeTempDirs();
  });

  it("make-feedback writes the ledger's answer for a posted journal; feedback processes it once", async () => {
    const cron = await fetch(`${portal.baseUrl}/__scheduled?cron=${encodeURIComponent("0 9 * * *")}`);
    expect(cron.status).toBe(200);
    const list = await journals(["list", "--json"], portal);
    expect(list.code, list.stderr).toBe(0);
    const [journal] = JSON.parse(list.stdout) as Array<{ id: number; status: string; ledger: Array<{ status: string }> }>;
    expect(journal).toMatchObject({ status: "POSTED", ledger: [{ status: "SENT" }] });

    const out = tempDir("paybc-ledger-feedback-");
    const made = await journals(["make-feedback", "--id", String(journal?.id), "--reject", "2", "--out", out], portal);
    expect(made.code, made.stderr).toBe(0);
    const path = made.stdout.split("\n")[0] as string;
    expect(path).toMatch(/FEEDBACK\.F3535\.\d{14}$/);

    const processed = await journals(["feedback", path], portal);
    expect(processed.code, processed.stderr).toBe(0);
    expect(processed.stdout).toContain("1 lines PROCESSED, 1 REJECT");
    expect(processed.stdout).toContain("1117 Distribution ACK is invalid");

    const again = await journals(["feedback", path], portal);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("received before");

    const bad = await journals(["feedback", join(ROOT, "package.json")], portal);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not a ledger file");
  });

  it("names the partner beside its number in list and rejects, and downloads the manifest with --file manifest.json", async () => {
    // After the round trip above: the journal is posted and its line 2 rejected by the ledger.
    const list = await journals(["list"], portal);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain("10006 Demo Ministry");
    const [journal] = JSON.parse((await journals(["list", "--json"], portal)).stdout) as Array<{
      id: number;
      sequence: number;
      partnerName: string;
    }>;
    expect(journal?.partnerName).toBe("Demo Ministry");

    const rejects = await journals(["rejects"], portal);
    expect(rejects.code, rejects.stderr).toBe(0);
    expect(rejects.stdout).toContain("10006 Demo Ministry");
    expect(rejects.stdout).toContain("1117: Distribution ACK is invalid");

    const help = await journals(["download", "--help"], portal);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("manifest.json");

    const out = tempDir("paybc-ledger-manifest-");
    const got = await journals(["download", "--id", String(journal?.id), "--file", "manifest.json", "--out", out], portal);
    expect(got.code, got.stderr).toBe(0);
    const name = `manifest-${glDate}-10006-${journal?.sequence}.json`;
    const path = join(out, `${glDate}-10006-${String(journal?.sequence).padStart(3, "0")}`, name);
    expect(got.stdout).toContain(`${path}  `);
    expect(got.stdout).toContain("verified");
    // The control totals are in the manifest: one payment of 100.00 in two revenue lines.
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({
      pbcRefNumber: "10006",
      partnerName: "Demo Ministry",
      revenueLineCount: 2,
      debitTotal: "100.00",
      creditTotal: "100.00",
    });

    const wrong = await journals(["download", "--id", String(journal?.id), "--file", "totals.csv", "--out", out], portal);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("no totals.csv for journal");
    expect(wrong.stderr).toContain("manifest.json");
  });
});
