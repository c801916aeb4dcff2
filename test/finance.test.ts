import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readLedgerConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { createLogger } from "../src/lib/logger.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { type Jwk, verifyAccessJwt } from "../src/services/financeAuth.ts";
import { runGlPosting } from "../src/services/glPosting.ts";
import { token } from "./helpers/api.ts";
import { BASE, openPayment, payWith, seedPartner } from "./helpers/portal.ts";

const FINANCE = { Authorization: `Bearer ${env.FINANCE_TOKEN}` };

async function postedJournal() {
  const partner = await seedPartner();
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
