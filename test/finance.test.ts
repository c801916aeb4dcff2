import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readLedgerConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { formatPacificTime } from "../src/domain/businessTime.ts";
import { createLogger } from "../src/lib/logger.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { type Jwk, verifyAccessJwt } from "../src/services/financeAuth.ts";
import { runGlPosting } from "../src/services/glPosting.ts";
import { token } from "./helpers/api.ts";
import { findCardNumbers } from "./helpers/cardScan.ts";
import { feedbackFor, feederFiles } from "./helpers/ledger.ts";
import { BASE, openPayment, payWith, randomClientIp, seedPartner } from "./helpers/portal.ts";

const FINANCE = { Authorization: `Bearer ${env.FINANCE_TOKEN}` };
/** Finance staff from an address of their own: the bearer token is rate-limited per address. */
const financeFrom = () => ({ ...FINANCE, "CF-Connecting-IP": randomClientIp() });

async function postedJournal(name?: string) {
  const partner = await seedPartner(name ? { name } : {});
  for (let i = 0; i < 2; i++) await payWith(await openPayment(partner));
  await env.DB.prepare("UPDATE transactions SET gl_date = '2026-02-02' WHERE pbc_ref_number = ?")
    .bind(partner.pbcRefNumber)
    .run();
  const db = database(env.DB);
  const log = createLogger("test");
  await runGlPosting({
    db,
    bucket: env.JOURNALS,
    ledger: readLedgerConfig(env),
    audit: auditRecorder(db, { actor: "t", sourceIp: null, log }),
    log,
    now: new Date("2026-02-03T09:00:00Z"),
  });
  return partner;
}

describe("finance journal downloads", () => {
  it("are refused without credentials, with a wrong token and with a partner's OAuth token", async () => {
    const partner = await seedPartner();
    const partnerToken = await token(partner);
    const attempts: Array<Record<string, string>> = [
      {},
      { Authorization: "Bearer wrong" },
      { Authorization: `Bearer ${partnerToken}` },
    ];
    for (const headers of attempts) {
      const api = await exports.default.fetch(`${BASE}/finance/api/journals`, { headers });
      expect(api.status).toBe(401);
      expect(api.headers.get("WWW-Authenticate")).toContain("Bearer");
      const file = await exports.default.fetch(`${BASE}/finance/journals/1/files/journal.csv`, { headers });
      expect(file.status).toBe(401);
    }
    const page = await exports.default.fetch(`${BASE}/finance/journals`, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("Location")).toBe("/finance/login");
  });

  it("/finance leads to the journals list", async () => {
    const response = await exports.default.fetch(`${BASE}/finance`, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/finance/journals");
  });

  it("list journals with filters, in JSON and HTML", async () => {
    const partner = await postedJournal();
    const response = await exports.default.fetch(
      `${BASE}/finance/api/journals?from=2026-02-01&to=2026-02-28&partner=${partner.pbcRefNumber}`,
      { headers: FINANCE },
    );
    expect(response.status).toBe(200);
    const { journals } = (await response.json()) as { journals: Array<Record<string, unknown>> };
    expect(journals).toHaveLength(1);
    expect(journals[0]).toMatchObject({
      glDate: "2026-02-02",
      pbcRefNumber: partner.pbcRefNumber,
      status: "POSTED",
      lineCount: 4,
      debitTotal: "200.00",
      creditTotal: "200.00",
    });
    const none = (await (
      await exports.default.fetch(`${BASE}/finance/api/journals?from=2026-03-01&partner=${partner.pbcRefNumber}`, {
        headers: FINANCE,
      })
    ).json()) as { journals: unknown[] };
    expect(none.journals).toEqual([]);
    const bad = await exports.default.fetch(`${BASE}/finance/api/journals?from=yesterday`, { headers: FINANCE });
    expect(bad.status).toBe(400);
    const html = await (
      await exports.default.fetch(`${BASE}/finance/journals?partner=${partner.pbcRefNumber}`, { headers: FINANCE })
    ).text();
    expect(html).toContain("2026-02-02");
    expect(html).toContain("200.00");
  });

  it("downloads stream the file with Content-Disposition, no-store and a SHA-256 that matches", async () => {
    const partner = await postedJournal();
    const { journals } = (await (
      await exports.default.fetch(`${BASE}/finance/api/journals?partner=${partner.pbcRefNumber}`, { headers: FINANCE })
    ).json()) as {
      journals: Array<{ sequence: number; files: Array<{ name: string; url: string; sha256: string; fileName: string }> }>;
    };
    const files = journals[0]?.files ?? [];
    expect(files.map((f) => f.name).sort()).toEqual(["detail.csv", "feeder-GA", "journal.csv", "trigger-GA"]);
    // Named for what they are: two journals' downloads never share a name in a Downloads folder.
    const seq = journals[0]?.sequence;
    const named = Object.fromEntries(files.map((f) => [f.name, f.fileName]));
    expect(named["journal.csv"]).toBe(`journal-2026-02-02-${partner.pbcRefNumber}-${seq}.csv`);
    expect(named["detail.csv"]).toBe(`detail-2026-02-02-${partner.pbcRefNumber}-${seq}.csv`);
    expect(named["feeder-GA"]).toMatch(/^[A-Z]+\.F3535\.\d{14}$/);
    // The manifest is offered too, under its own name, with the SHA-256 of what was sent.
    const manifest = (journals[0] as unknown as { manifest: { fileName: string; url: string } }).manifest;
    expect(manifest.fileName).toBe(`manifest-2026-02-02-${partner.pbcRefNumber}-${seq}.json`);
    const manifestResponse = await exports.default.fetch(`${BASE}${manifest.url}`, { headers: FINANCE });
    expect(manifestResponse.status).toBe(200);
    expect(manifestResponse.headers.get("Content-Disposition")).toBe(`attachment; filename="${manifest.fileName}"`);
    const manifestBody = (await manifestResponse.json()) as { files: Record<string, { sha256: string }> };
    expect(manifestBody.files["journal.csv"]?.sha256).toBe(files.find((f) => f.name === "journal.csv")?.sha256);
    const page = await (
      await exports.default.fetch(`${BASE}/finance/journals?partner=${partner.pbcRefNumber}`, { headers: FINANCE })
    ).text();
    expect(page).toContain(`download="${manifest.fileName}"`);
    for (const file of files) {
      const response = await exports.default.fetch(`${BASE}${file.url}`, { headers: FINANCE });
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Disposition")).toBe(`attachment; filename="${file.fileName}"`);
      expect(response.headers.get("Cache-Control")).toBe("no-store");
      const bytes = await response.arrayBuffer();
      const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
        .map((b) => b.toString(16).padStart(2, "0"))
        .join("");
      expect(digest).toBe(response.headers.get("X-Content-SHA256"));
      expect(digest).toBe(file.sha256);
    }
    const audit = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'finance.download' AND target LIKE ?")
      .bind(`%/${partner.pbcRefNumber}/%`)
      .first<{ n: number }>();
    // Every download is audited: the four files and the manifest.
    expect(audit?.n).toBe(5);
  });

  it("the local sign-in sets a finance cookie only for the right token", async () => {
    const wrong = await exports.default.fetch(`${BASE}/finance/login`, {
      method: "POST",
      body: new URLSearchParams({ token: "nope" }),
      redirect: "manual",
    });
    expect(wrong.status).toBe(401);
    const right = await exports.default.fetch(`${BASE}/finance/login`, {
      method: "POST",
      body: new URLSearchParams({ token: env.FINANCE_TOKEN }),
      redirect: "manual",
    });
    expect(right.status).toBe(303);
    const cookie = (right.headers.get("Set-Cookie") ?? "").split(";")[0] as string;
    expect(right.headers.get("Set-Cookie")).toContain("HttpOnly");
    const page = await exports.default.fetch(`${BASE}/finance/journals`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
  });
});

interface ApiJournal {
  id: number;
  pbcRefNumber: string;
  partnerName: string | null;
  postedAt: string;
  files: Array<{ name: string; url: string; fileName: string }>;
  manifest: { fileName: string; url: string };
}

async function financeJson<T>(path: string): Promise<T> {
  const response = await exports.default.fetch(`${BASE}${path}`, { headers: financeFrom() });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function financeText(path: string): Promise<string> {
  const response = await exports.default.fetch(`${BASE}${path}`, { headers: financeFrom() });
  expect(response.status, path).toBe(200);
  return response.text();
}

/** RFC 4180 rows of a CSV file (BOM dropped). */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  const body = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (quoted && ch === '"' && body[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (quoted) {
      cell += ch;
    } else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && body[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else {
      cell += ch;
    }
  }
  return rows;
}

describe("what finance staff read", () => {
  it("partner names beside numbers and Pacific times, in the list, the journal's page and the JSON", async () => {
    const partner = await postedJournal("Ministry of Forests");
    const ref = partner.pbcRefNumber;
    const { journals } = await financeJson<{ journals: ApiJournal[] }>(`/finance/api/journals?partner=${ref}`);
    const [journal] = journals;
    // The JSON keeps its fields and ISO UTC times, and names the partner beside the number.
    expect(journal).toMatchObject({
      pbcRefNumber: ref,
      partnerName: "Ministry of Forests",
      postedAt: "2026-02-03T09:00:00.000Z",
    });

    const list = await financeText(`/finance/journals?partner=${ref}`);
    expect(list).toContain(`${ref}<div>Ministry of Forests</div>`);
    // Posted at 09:00 UTC on 3 February: 01:00 Pacific standard time, the ISO instant kept for machines.
    expect(list).toContain('<time datetime="2026-02-03T09:00:00.000Z">2026-02-03 01:00 PST</time>');
    expect(list).toContain("Totals are in the manifest, not in the CSV files.");
    expect(list).toContain(`href="/finance/journals/${journal?.id}"`);

    const page = await financeText(`/finance/journals/${journal?.id}`);
    expect(page).toContain(`${ref} Ministry of Forests`);
    expect(page).toContain("2026-02-03 01:00 PST");
    expect(page).not.toMatch(/>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/); // no raw UTC instant shown as text
    expect(page).toContain("Totals are in the manifest, not in the CSV files.");
    // The control totals the CSV no longer carries: two payments of 100.00, four revenue lines, two accounts.
    expect(page).toMatch(/<th scope="row">Total debits<\/th><td>200.00<\/td>/);
    expect(page).toMatch(/<th scope="row">Revenue lines<\/th><td>4<\/td>/);
    expect(page).toMatch(/<th scope="row">Accounts<\/th><td>2<\/td>/);
    for (const file of journal?.files ?? []) expect(page).toContain(`download="${file.fileName}"`);
    expect(page).toContain(`download="${journal?.manifest.fileName}"`);

    const detail = await financeJson<{
      partnerName: string;
      totals: Record<string, unknown>;
      journals: Array<{ lines: Array<{ account: string; debit: string | null; credit: string | null }> }>;
    }>(`/finance/api/journals/${journal?.id}`);
    expect(detail.partnerName).toBe("Ministry of Forests");
    expect(detail.totals).toEqual({
      debitTotal: "200.00",
      creditTotal: "200.00",
      journalLineCount: 3,
      revenueLineCount: 4,
      accountCount: 2,
    });
    expect(detail.journals[0]?.lines.map((line) => [line.debit, line.credit])).toEqual([
      [null, "150.00"],
      [null, "50.00"],
      ["200.00", null],
    ]);
  });

  it("an unknown or malformed journal id is a 404, not an error", async () => {
    for (const id of ["999999999", "1e3", "0x10", "abc"]) {
      expect((await exports.default.fetch(`${BASE}/finance/api/journals/${id}`, { headers: financeFrom() })).status, id).toBe(
        404,
      );
      expect((await exports.default.fetch(`${BASE}/finance/journals/${id}`, { headers: financeFrom() })).status, id).toBe(404);
    }
    expect((await exports.default.fetch(`${BASE}/finance/api/journals/1`)).status).toBe(401);
  });

  it("journal.csv holds journal lines only; the totals are in the manifest", async () => {
    const partner = await postedJournal();
    const { journals } = await financeJson<{ journals: ApiJournal[] }>(`/finance/api/journals?partner=${partner.pbcRefNumber}`);
    const journal = journals[0] as ApiJournal;
    const csv = await financeText(journal.files.find((f) => f.name === "journal.csv")?.url as string);
    const [header, ...rows] = csvRows(csv);
    expect(header).toEqual([
      "GL date",
      "Partner",
      "Journal",
      "Line",
      "Account",
      "Debit",
      "Credit",
      "Description",
      "Revenue lines",
    ]);
    // Every row is a journal line: a pivot over Debit and Credit gives the journal's totals once.
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row[3]).toMatch(/^\d+$/);
    const cents = (text: string | undefined) => (text ? Math.round(Number(text) * 100) : 0);
    expect(rows.reduce((sum, row) => sum + cents(row[5]), 0)).toBe(20_000);
    expect(rows.reduce((sum, row) => sum + cents(row[6]), 0)).toBe(20_000);
    const manifest = JSON.parse(await financeText(journal.manifest.url)) as Record<string, unknown>;
    expect(manifest).toMatchObject({ debitTotal: "200.00", creditTotal: "200.00", revenueLineCount: 4, journalLineCount: 3 });
  });

  it("detail.csv: the old columns first, then card brand, last four, authorisation code, Pacific time and description", async () => {
    const partner = await postedJournal();
    const { journals } = await financeJson<{ journals: ApiJournal[] }>(`/finance/api/journals?partner=${partner.pbcRefNumber}`);
    const text = await financeText((journals[0] as ApiJournal).files.find((f) => f.name === "detail.csv")?.url as string);
    const [header, ...rows] = csvRows(text);
    expect(header).toEqual([
      "GL date",
      "pbcRefNumber",
      "pbcTxnNumber",
      "Line",
      "Revenue account",
      "Amount",
      "trnOrderId",
      "Paid at",
      "Card brand",
      "Card last four",
      "Authorisation code",
      "Paid at (Pacific)",
      "Description",
    ]);
    expect(rows).toHaveLength(4);
    const paid = await env.DB.prepare(
      "SELECT pbc_txn_number, paid_at, payment_auth_code FROM transactions WHERE pbc_ref_number = ? ORDER BY id",
    )
      .bind(partner.pbcRefNumber)
      .all<{ pbc_txn_number: string; paid_at: string; payment_auth_code: string }>();
    for (const row of rows) {
      const txn = paid.results.find((t) => t.pbc_txn_number === row[2]);
      expect(txn, row[2]).toBeDefined();
      expect(row[7]).toBe(txn?.paid_at);
      expect(row.slice(8)).toEqual([
        "Visa",
        "1234",
        txn?.payment_auth_code,
        formatPacificTime(txn?.paid_at as string, { seconds: true }),
        "Direct Sale",
      ]);
      expect(row[11]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} P[SD]T$/);
    }
    // Brand and last four, never more of the card.
    expect(findCardNumbers(text)).toEqual([]);
    expect(text).not.toContain("40300000");
  });

  it("the ledger's feedback names the partner beside the number, and the finance pages show who is signed in until when", async () => {
    const partner = await postedJournal("Ministry of Forests");
    const files = (await feederFiles(partner.pbcRefNumber)).filter((file) => file.status === "SENT");
    const text = await feedbackFor(files);
    const upload = await exports.default.fetch(`${BASE}/finance/api/feedback?name=FEEDBACK.F3535.20260203100000`, {
      method: "POST",
      headers: financeFrom(),
      body: text,
    });
    expect(upload.status).toBe(201);
    const outcome = (await upload.json()) as { id: number; batches: Array<{ pbcRefNumber: string; partnerName: string }> };
    expect(outcome.batches[0]).toMatchObject({ pbcRefNumber: partner.pbcRefNumber, partnerName: "Ministry of Forests" });
    const stored = await financeJson<{ batches: Array<{ partnerName: string }> }>(`/finance/api/feedback/${outcome.id}`);
    expect(stored.batches[0]?.partnerName).toBe("Ministry of Forests");
    const list = await financeText(`/finance/journals?partner=${partner.pbcRefNumber}`);
    expect(list).toContain("GA: ACCEPTED");
    const journalId = (await financeJson<{ journals: ApiJournal[] }>(`/finance/api/journals?partner=${partner.pbcRefNumber}`))
      .journals[0]?.id;
    // Fed back: the time the ledger's answer was applied, in Pacific.
    expect(await financeText(`/finance/journals/${journalId}`)).toMatch(
      /<time datetime="[^"]+Z">\d{4}-\d{2}-\d{2} \d{2}:\d{2} P[SD]T<\/time>/,
    );

    const signIn = await exports.default.fetch(`${BASE}/finance/login`, {
      method: "POST",
      body: new URLSearchParams({ token: env.FINANCE_TOKEN }),
      redirect: "manual",
    });
    const cookie = (signIn.headers.get("Set-Cookie") ?? "").split(";")[0] as string;
    const ends = await env.DB.prepare("SELECT MAX(expires_at) AS at FROM finance_sessions").first<{ at: string }>();
    for (const path of ["/finance/journals", "/finance/rejects", "/finance/feedback", `/finance/journals/${journalId}`]) {
      const page = await (await exports.default.fetch(`${BASE}${path}`, { headers: { Cookie: cookie } })).text();
      expect(page, path).toContain(`Signed in as <strong>finance-token</strong> until <time datetime="${ends?.at}">`);
      expect(page, path).toContain(formatPacificTime(ends?.at as string));
      expect(page, path).toContain('action="/finance/logout"');
    }
  });
});

describe("Cloudflare Access assertion", () => {
  async function signer() {
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
    const b64 = (data: string | ArrayBuffer) =>
      btoa(typeof data === "string" ? data : String.fromCharCode(...new Uint8Array(data)))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
    const sign = async (payload: Record<string, unknown>, kid = "k1") => {
      const head = b64(JSON.stringify({ alg: "RS256", kid }));
      const body = b64(JSON.stringify(payload));
      const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, new TextEncoder().encode(`${head}.${body}`));
      return `${head}.${body}.${b64(sig)}`;
    };
    return { keys: [{ kid: "k1", kty: "RSA", n: jwk.n as string, e: jwk.e as string }] as Jwk[], sign };
  }

  it("accepts a valid assertion and refuses wrong audience, issuer, expiry, key or signature", async () => {
    const { keys, sign } = await signer();
    const now = new Date("2026-11-23T12:00:00Z");
    const exp = Math.floor(now.getTime() / 1000) + 600;
    const options = { keys, audience: "aud-1", issuer: "https://team.cloudflareaccess.com", now };
    const good = { aud: ["aud-1"], iss: options.issuer, exp, email: "finance@gov.bc.ca" };
    expect(await verifyAccessJwt(await sign(good), options)).toEqual({ ok: true, who: "finance@gov.bc.ca" });
    expect(await verifyAccessJwt(await sign({ ...good, aud: ["other"] }), options)).toMatchObject({
      ok: false,
      reason: "wrong audience",
    });
    expect(await verifyAccessJwt(await sign({ ...good, iss: "https://evil" }), options)).toMatchObject({
      ok: false,
      reason: "wrong issuer",
    });
    expect(await verifyAccessJwt(await sign({ ...good, exp: exp - 1200 }), options)).toMatchObject({
      ok: false,
      reason: "expired",
    });
    expect(await verifyAccessJwt(await sign(good, "k2"), options)).toMatchObject({ ok: false, reason: "unknown signing key" });
    const token = await sign(good);
    const tampered = `${token.split(".")[0]}.${btoa(JSON.stringify({ ...good, email: "x@y" })).replace(/=+$/, "")}.${token.split(".")[2]}`;
    expect(await verifyAccessJwt(tampered, options)).toMatchObject({ ok: false });
    expect(await verifyAccessJwt("not-a-jwt", options)).toMatchObject({ ok: false });
  });
});
