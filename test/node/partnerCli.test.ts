/**
 * The onboarding CLI (scripts/partner.ts) run as an operator runs it, each command a separate
 * process with --json on a fresh local state directory; then end to end: a partner the CLI created
 * takes a signed direct sale and queries its payment on a Worker (`wrangler dev`) run on that state.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDevVars, withPlatform } from "../../scripts/lib/platform.ts";
import { database } from "../../src/db/client.ts";
import { validApiKeys } from "../../src/db/partnerApiKeys.ts";
import { cliJson, ROOT, type RunningWorker, removeTempDirs, runCli, startWorker, tempDir } from "./helpers.ts";

const CASH_ACCOUNT = "039.18ACE.10001.8928.1800000.000000.0000";
const REVENUE_1 = "039.18ACE.14691.8928.1800000.000000.0000";
const REVENUE_2 = "039.18ACE.14692.8928.1800000.000000.0000";

interface Credentials {
  apiKey: string;
  clientId: string;
  clientSecret: string;
}

interface PartnerJson {
  pbcRefNumber: string;
  name: string;
  status: string;
  keyStyle: string;
  glPosting: boolean;
  cashAccount: string | null;
  redirectTargets: string[];
  oauthClients: Array<{ clientId: string; createdAt: string; rotatedAt: string | null }>;
}

interface CreateJson {
  created: boolean;
  credentials: Credentials;
  notice: string;
  partner: PartnerJson;
}

beforeAll(() => {
  // scripts/lib/platform.ts reads wrangler.toml and .dev.vars from the working directory.
  process.chdir(ROOT);
  process.env.WRANGLER_LOG = "warn";
});
afterAll(() => removeTempDirs());

function expectRefusal(result: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).not.toMatch(/\n\s+at /);
  const error = JSON.parse(result.stderr) as { error: string; message: string };
  expect(error.error).toBe("refused");
  expect(error.message).toMatch(message);
}

describe("partner CLI", () => {
  let dir: string;
  let first: CreateJson;

  beforeAll(() => {
    dir = tempDir("paybc-cli-");
  });

  it("creates a partner on a fresh state directory (migrating it first) and prints its credentials once", async () => {
    first = await cliJson<CreateJson>(
      [
        "create",
        "--ref",
        "10007",
        "--name",
        "Ministry of X",
        "--redirect",
        "https://app.example.ca/return",
        "--redirect",
        "http://localhost:*/",
        "--key-style",
        "camel",
        "--gl-posting",
        "on",
        "--cash-account",
        CASH_ACCOUNT,
      ],
      dir,
    );
    expect(first.created).toBe(true);
    expect(first.notice).toMatch(/cannot be shown again/);
    expect(first.credentials.apiKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.credentials.clientId).toMatch(/^pbc-10007-[A-Za-z0-9_-]+$/);
    expect(first.credentials.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.partner).toMatchObject({
      pbcRefNumber: "10007",
      name: "Ministry of X",
      status: "ACTIVE",
      keyStyle: "camel",
      glPosting: true,
      cashAccount: CASH_ACCOUNT,
      redirectTargets: ["http://localhost:*/", "https://app.example.ca/return"],
    });
    expect(first.partner.oauthClients.map((client) => client.clientId)).toEqual([first.credentials.clientId]);
  });

  it("prints the credentials for people too, with the note to store them now", async () => {
    const result = await runCli([
      "create",
      "--ref",
      "10008",
      "--name",
      "Ministry of Y",
      "--redirect",
      "https://y.example.ca/",
      "--persist-to",
      dir,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Created partner 10008 \(Ministry of Y\)/);
    expect(result.stdout).toMatch(/Store these now: they cannot be shown again/);
    expect(result.stdout).toMatch(/API key \(MD5 signing key\):\s+[A-Za-z0-9_-]{32}\n/);
    expect(result.stdout).toMatch(/OAuth client id:\s+pbc-10008-/);
    expect(result.stdout).toMatch(/OAuth client secret:\s+[A-Za-z0-9_-]{43}\n/);
    // wrangler's own chatter stays off stdout
    expect(result.stdout).not.toMatch(/Using secrets/);
  });

  it("lists and shows partners, never with their secrets", async () => {
    const list = await cliJson<{ partners: PartnerJson[] }>(["list"], dir);
    expect(list.partners.map((p) => [p.pbcRefNumber, p.name, p.status])).toEqual([
      ["10007", "Ministry of X", "ACTIVE"],
      ["10008", "Ministry of Y", "ACTIVE"],
    ]);
    const show = await cliJson<{ partner: PartnerJson }>(["show", "--ref", "10007"], dir);
    expect(show.partner).toMatchObject({ pbcRefNumber: "10007", keyStyle: "camel", cashAccount: CASH_ACCOUNT });
    expect(show.partner.redirectTargets).toEqual(first.partner.redirectTargets);
    expect(show.partner.oauthClients[0]?.clientId).toBe(first.credentials.clientId);
    const text = JSON.stringify(show) + JSON.stringify(list);
    expect(text).not.toContain(first.credentials.apiKey);
    expect(text).not.toContain(first.credentials.clientSecret);
  });

  it.each([
    ["a bad ref", ["show", "--ref", "12ab"], /--ref must be a number from 1 to 99999999/],
    ["a ref with a leading zero", ["show", "--ref", "010007"], /--ref must be a number/],
    ["an unknown partner", ["show", "--ref", "424242"], /no partner 424242/],
    [
      "plain http to a host other than loopback",
      ["create", "--ref", "10009", "--name", "Z", "--redirect", "http://app.example.ca/return"],
      /http:\/\/app\.example\.ca\/return: Plain http is only allowed for localhost and 127\.0\.0\.1/,
    ],
    [
      "a redirect target with a query",
      ["add-redirect", "--ref", "10007", "--target", "https://app.example.ca/return?x=1"],
      /Redirect target must look like https:\/\/host/,
    ],
    ["an unknown command", ["frobnicate", "--ref", "10007"], /unknown command "frobnicate"/],
    ["a missing --ref", ["show"], /missing required option --ref/],
    ["a missing --redirect", ["create", "--ref", "10009", "--name", "Z"], /missing required option --redirect/],
    ["an unknown option", ["list", "--colour", "red"], /unknown option --colour for "list"/],
    ["an option without its value", ["show", "--ref"], /--ref needs a value/],
    ["a bad --key-style", ["configure", "--ref", "10007", "--key-style", "snake"], /--key-style must be lower or camel/],
    ["a negative --grace-hours", ["rotate-api-key", "--ref", "10007", "--grace-hours=-1"], /--grace-hours must be a number/],
    ["a --grace-hours over 30 days", ["rotate-api-key", "--ref", "10007", "--grace-hours", "1000"], /from 0 to 720/],
    [
      "a value that looks like an option",
      ["rotate-oauth-secret", "--ref", "10007", "--grace-hours", "-1"],
      /--grace-hours=VALUE/,
    ],
    ["an option given twice", ["show", "--ref", "10007", "--ref", "10008"], /--ref is given more than once/],
    [
      "GL posting without a cash account",
      ["configure", "--ref", "10008", "--gl-posting", "on"],
      /needs a cash \(clearing\) account/,
    ],
    [
      "creating an existing partner",
      ["create", "--ref", "10007", "--name", "Again", "--redirect", "https://a.example.ca/"],
      /partner 10007 already exists/,
    ],
    ["--env without --remote", ["list", "--env", "staging"], /--env applies only with --remote/],
  ])("refuses %s with exit code 2 and a clear message", async (_name, args, message) => {
    expectRefusal(await runCli([...args, "--json", "--persist-to", dir]), message);
  });

  it("refuses --remote without the encryption key in the environment, before reaching Cloudflare", async () => {
    const result = await runCli(["rotate-api-key", "--ref", "10007", "--remote", "--env", "staging", "--json"], {
      env: { API_KEY_ENCRYPTION_KEY: "" },
    });
    expectRefusal(result, /export API_KEY_ENCRYPTION_KEY/);
  });

  it("writes plain errors without a stack trace when not asked for JSON", async () => {
    const result = await runCli(["show", "--ref", "424242", "--persist-to", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: no partner 424242\n");
    const unknown = await runCli(["rotate-everything"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown command "rotate-everything" \(see npm run partner -- --help\)\n$/);
  });

  it("left nothing behind from the refused commands", async () => {
    const list = await cliJson<{ partners: PartnerJson[] }>(["list"], dir);
    expect(list.partners.map((p) => p.pbcRefNumber)).toEqual(["10007", "10008"]);
    const show = await cliJson<{ partner: PartnerJson }>(["show", "--ref", "10007"], dir);
    expect(show.partner.name).toBe("Ministry of X");
    expect(show.partner.redirectTargets).toEqual(first.partner.redirectTargets);
  });

  it("has help for every command and overall", async () => {
    const overall = await runCli(["--help"]);
    expect(overall.code).toBe(0);
    for (const command of ["create", "list", "show", "add-redirect", "rotate-api-key", "load-accounts", "remove-account"]) {
      expect(overall.stdout).toContain(`  ${command} `);
    }
    const create = await runCli(["create", "--help"]);
    expect(create.code).toBe(0);
    expect(create.stdout).toMatch(/^Usage: npm run partner -- create --ref N --name NAME --redirect URL/);
    expect(create.stdout).toContain("--cash-account");
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Usage: /);
  });

  it("rotate-api-key prints the new key once and both keys stay valid for the grace period", async () => {
    const key = readDevVars().API_KEY_ENCRYPTION_KEY as string;
    const keysAt = (at: Date) =>
      withPlatform({ remote: false, persistPath: join(dir, "v3") }, async (env) =>
        (await validApiKeys(database(env.DB), key, "10007", at)).map((k) => k.key),
      );
    expect(await keysAt(new Date())).toEqual([first.credentials.apiKey]);

    const before = Date.now();
    const rotated = await cliJson<{ pbcRefNumber: string; apiKey: string; previousValidUntil: string; notice: string }>(
      ["rotate-api-key", "--ref", "10007", "--grace-hours", "72"],
      dir,
    );
    expect(rotated.apiKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(rotated.apiKey).not.toBe(first.credentials.apiKey);
    expect(rotated.notice).toMatch(/cannot be shown again/);
    const graceUntil = Date.parse(rotated.previousValidUntil);
    expect(graceUntil - before).toBeGreaterThanOrEqual(72 * 3_600_000);
    expect(graceUntil - Date.now()).toBeLessThanOrEqual(72 * 3_600_000);

    expect(await keysAt(new Date())).toEqual([rotated.apiKey, first.credentials.apiKey]);
    expect(await keysAt(new Date(graceUntil + 1000))).toEqual([rotated.apiKey]);
  });

  it("rotate-oauth-secret keeps the client id and issues a new secret", async () => {
    const rotated = await cliJson<{ clientId: string; clientSecret: string; previousValidUntil: string }>(
      ["rotate-oauth-secret", "--ref", "10007", "--grace-hours", "1"],
      dir,
    );
    expect(rotated.clientId).toBe(first.credentials.clientId);
    expect(rotated.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.clientSecret).not.toBe(first.credentials.clientSecret);
    expect(Date.parse(rotated.previousValidUntil) - Date.now()).toBeLessThanOrEqual(3_600_000);
  });

  it("loads a chart of accounts from a file, ignoring comments and blank lines", async () => {
    writeFileSync(
      join(dir, "accounts.txt"),
      `# Ministry of X revenue accounts\n\n${REVENUE_1}\n  ${REVENUE_2}  # second line\r\n\n# end\n`,
    );
    // Paths relative to where the operator is, not to the project.
    const relative = await runCli(["load-accounts", "--ref", "10007", "--file", "accounts.txt", "--persist-to", ".", "--json"], {
      cwd: dir,
    });
    expect(relative.code, relative.stderr).toBe(0);
    expect(relative.json).toMatchObject({ loaded: 2, status: "OPEN", total: 2, accounts: [REVENUE_1, REVENUE_2] });

    const closeFile = join(dir, "close.txt");
    writeFileSync(closeFile, `${REVENUE_2}\n`);
    await cliJson(["load-accounts", "--ref", "10007", "--file", closeFile, "--status", "CLOSED"], dir);
    const chart = await cliJson<{ accounts: Array<{ account: string; status: string }> }>(["accounts", "--ref", "10007"], dir);
    expect(chart.accounts).toEqual([
      { account: REVENUE_1, status: "OPEN" },
      { account: REVENUE_2, status: "CLOSED" },
    ]);

    const badFile = join(dir, "bad.txt");
    writeFileSync(badFile, `${REVENUE_1}\n039.18ACE.1469\n`);
    expectRefusal(
      await runCli(["load-accounts", "--ref", "10007", "--file", badFile, "--json", "--persist-to", dir]),
      /not in XXX\.XXXXX\.XXXXX\.XXXX\.XXXXXXX\.XXXXXX\.XXXX format: 039\.18ACE\.1469$/,
    );
    expectRefusal(
      await runCli(["load-accounts", "--ref", "10007", "--file", join(dir, "missing.txt"), "--json", "--persist-to", dir]),
      /cannot read .*missing\.txt: ENOENT/,
    );

    const removed = await cliJson<{ removed: boolean }>(["remove-account", "--ref", "10007", "--account", REVENUE_2], dir);
    expect(removed.removed).toBe(true);
    expectRefusal(
      await runCli(["remove-account", "--ref", "10007", "--account", REVENUE_2, "--json", "--persist-to", dir]),
      /has no account/,
    );
  });

  it("manages redirect targets, status and settings", async () => {
    const added = await cliJson<{ added: boolean }>(
      ["add-redirect", "--ref", "10008", "--target", "https://y.example.ca:8443/pay"],
      dir,
    );
    expect(added.added).toBe(true);
    const removed = await cliJson<{ redirectTargets: string[] }>(
      ["remove-redirect", "--ref", "10008", "--target", "https://y.example.ca/"],
      dir,
    );
    expect(removed.redirectTargets).toEqual(["https://y.example.ca:8443/pay"]);
    expect(await cliJson(["disable", "--ref", "10008"], dir)).toEqual({ pbcRefNumber: "10008", status: "DISABLED" });
    const configured = await cliJson<{ partner: PartnerJson }>(
      ["configure", "--ref", "10008", "--name", "Ministry of Y and Z", "--gl-posting", "on", "--cash-account", CASH_ACCOUNT],
      dir,
    );
    expect(configured.partner).toMatchObject({
      name: "Ministry of Y and Z",
      status: "DISABLED",
      glPosting: true,
      cashAccount: CASH_ACCOUNT,
      keyStyle: "lower",
    });
    expect(await cliJson(["enable", "--ref", "10008"], dir)).toEqual({ pbcRefNumber: "10008", status: "ACTIVE" });
  });

  it("sets what the person paying sees: after a decline, French name, contact details, notice and logo", async () => {
    const declines = await cliJson<{ partner: PartnerJson & { onDecline: string } }>(
      ["configure", "--ref", "10008", "--on-decline", "return"],
      dir,
    );
    expect(declines.partner.onDecline).toBe("return");
    expectRefusal(
      await runCli(["configure", "--ref", "10008", "--on-decline", "sometimes", "--json", "--persist-to", dir]),
      /--on-decline must be retry or return/,
    );

    const noticeFile = join(dir, "notice-fr.txt");
    writeFileSync(
      noticeFile,
      "Ces renseignements sont recueillis en vertu de l'alinéa 26c) de la FOIPPA pour traiter votre paiement. Questions : 1-800-663-7867.",
    );
    const face = await cliJson<{ partner: Record<string, unknown> }>(
      [
        "face",
        "--ref",
        "10008",
        "--name-fr",
        "Ministère de Y et Z",
        "--contact-email",
        "Help@Example.CA",
        "--contact-phone",
        "1-800-663-7867",
        "--contact-url",
        "https://www.example.ca/help",
        "--privacy-notice-fr",
        noticeFile,
      ],
      dir,
    );
    expect(face.partner).toMatchObject({
      nameFr: "Ministère de Y et Z",
      contactEmail: "Help@example.ca",
      contactPhone: "1-800-663-7867",
      contactUrl: "https://www.example.ca/help",
      privacyNoticeEn: null,
    });
    expect(face.partner.privacyNoticeFr).toMatch(/^Ces renseignements/);
    expectRefusal(
      await runCli(["face", "--ref", "10008", "--contact-url", "http://www.example.ca/", "--json", "--persist-to", dir]),
      /https/,
    );
    expectRefusal(await runCli(["face", "--ref", "10008", "--json", "--persist-to", dir]), /face needs at least one of/);
    const cleared = await cliJson<{ partner: Record<string, unknown> }>(
      ["face", "--ref", "10008", "--contact-phone", "none", "--privacy-notice-fr", "default"],
      dir,
    );
    expect(cleared.partner).toMatchObject({ contactPhone: null, privacyNoticeFr: null, contactEmail: "Help@example.ca" });

    const svg = join(dir, "logo.svg");
    writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>');
    const withLogo = await cliJson<{ partner: { logoSha256: string | null } }>(["logo", "--ref", "10008", "--file", svg], dir);
    expect(withLogo.partner.logoSha256).toMatch(/^[0-9a-f]{64}$/);
    const hostile = join(dir, "hostile.svg");
    writeFileSync(hostile, '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>');
    expectRefusal(
      await runCli(["logo", "--ref", "10008", "--file", hostile, "--json", "--persist-to", dir]),
      /must not contain scripts/,
    );
    expectRefusal(
      await runCli(["logo", "--ref", "10008", "--file", join(dir, "logo.gif"), "--json", "--persist-to", dir]),
      /\.png or \.svg/,
    );
    const removed = await cliJson<{ partner: { logoSha256: string | null } }>(["logo", "--ref", "10008", "--remove"], dir);
    expect(removed.partner.logoSha256).toBeNull();

    const shown = await runCli(["show", "--ref", "10008", "--persist-to", dir]);
    expect(shown.stdout).toContain("after a decline:   return to the partner at once");
    expect(shown.stdout).toContain("French name:       Ministère de Y et Z");
    const help = await runCli(["face", "--help"]);
    expect(help.stdout).toMatch(/^Usage: npm run partner -- face --ref N/);
  });
});

// ---------------------------------------------------------------- end to end

/** Python's quote_plus (what deployed partner clients use to build the query). */
function quotePlus(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

/** The contract's signature: md5 hex of the query as decoded text (unquote_plus) followed by the API key. */
function signedQuery(pairs: Array<[string, string]>, apiKey: string): string {
  const query = pairs.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join("&");
  const decoded = decodeURIComponent(query.replace(/\+/g, " "));
  return `${query}&hashValue=${createHash("md5")
    .update(decoded + apiKey, "utf8")
    .digest("hex")}`;
}

/** yyyy-MM-dd at a fixed offset from UTC. */
function dateAtOffset(hours: number, at = new Date()): string {
  return new Date(at.getTime() + hours * 3_600_000).toISOString().slice(0, 10);
}

describe("end to end: a partner onboarded with the CLI takes a payment on the Worker", () => {
  let dir: string;
  let partner: CreateJson;
  let worker: RunningWorker | undefined;
  const pbcTxnNumber = `E2E${Date.now().toString(36).toUpperCase()}`;

  beforeAll(async () => {
    dir = tempDir("paybc-cli-e2e-");
    partner = await cliJson<CreateJson>(
      [
        "create",
        "--ref",
        "10020",
        "--name",
        "Ministry of End to End",
        "--redirect",
        "https://app.example.ca/return",
        "--gl-posting",
        "on",
        "--cash-account",
        CASH_ACCOUNT,
      ],
      dir,
    );
    worker = await startWorker(dir);
  });
  afterAll(async () => {
    await worker?.stop();
  });

  function directSalePairs(txn: string): Array<[string, string]> {
    // trnDate: the UTC date is always accepted (deployed clients date requests in UTC). glDate must
    // not be before today in Vancouver: the date at UTC-7 is today or later whether the Worker's
    // time zone data has British Columbia on UTC-7 all year or still on UTC-8 in winter.
    return [
      ["trnDate", dateAtOffset(0)],
      ["pbcRefNumber", "10020"],
      ["glDate", dateAtOffset(-7)],
      ["description", "Direct Sale (end to end)"],
      ["pbcTxnNumber", txn],
      ["trnAmount", "100.00"],
      ["paymentMethod", "CC"],
      ["currency", "CAD"],
      ["redirectUri", "https://app.example.ca/return"],
      ["revenue", `1:${REVENUE_1}:75.00|2:${REVENUE_2}:25.00`],
      ["ref1", "case 42"],
      ["ref2", ""],
      ["ref3", ""],
    ];
  }

  it("accepts a direct sale signed with the API key the CLI issued (303 to the card page)", async () => {
    const base = worker?.baseUrl as string;
    const response = await fetch(
      `${base}/public/directsale?${signedQuery(directSalePairs(pbcTxnNumber), partner.credentials.apiKey)}`,
      {
        redirect: "manual",
      },
    );
    const location = response.headers.get("Location") ?? "";
    expect(response.status, `${location}\n${await response.text()}`).toBe(303);
    expect(location, "a validation redirect to the partner means the request was refused").toMatch(/^\/public\/pay\/\S+/);
  });

  it("refuses the same request signed with another key", async () => {
    const base = worker?.baseUrl as string;
    const response = await fetch(`${base}/public/directsale?${signedQuery(directSalePairs(`${pbcTxnNumber}X`), "not-the-key")}`, {
      redirect: "manual",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("could not confirm that the payment request came from the service");
  });

  it("issues a token for the CLI's OAuth client credentials and answers payment queries with it", async () => {
    const api = `${worker?.baseUrl}/ords/cas`;
    const basic = Buffer.from(`${partner.credentials.clientId}:${partner.credentials.clientSecret}`).toString("base64");
    const tokenResponse = await fetch(`${api}/oauth/token`, {
      method: "POST",
      headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(tokenResponse.status).toBe(200);
    const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
    expect(token).toBeTruthy();

    const wrongSecret = await fetch(`${api}/oauth/token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from(`${partner.credentials.clientId}:wrong`).toString("base64")}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    expect(wrongSecret.status).toBe(401);

    const auth = { Authorization: `Bearer ${token}` };
    const unknown = await fetch(`${api}/paybc/payment/10020/NO-SUCH-TXN`, { headers: auth });
    expect(unknown.status).toBe(404);

    const found = await fetch(`${api}/paybc/payment/10020/${pbcTxnNumber}`, { headers: auth });
    expect(found.status).toBe(200);
    const body = (await found.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      pbcrefnumber: "10020",
      trnnumber: pbcTxnNumber,
      trnamount: "100.00",
      paymentstatus: "PNDNG",
      trnorderid: null,
    });
    expect(body.revenue).toHaveLength(2);
  });
});
