/** /finance: journal listing (HTML and JSON) and file downloads for finance staff only. */

import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { findBatch, type JournalBatch, listBatches } from "../db/journalBatches.ts";
import { isValidDate } from "../domain/businessTime.ts";
import { formatCents } from "../domain/money.ts";
import type { AppEnv } from "../http/types.ts";
import { bytesToBase64, hexToBytes } from "../lib/encoding.ts";
import { auditRecorder } from "../services/audit.ts";
import { accessIssuer, accessKeys, financeTokenMatches, verifyAccessJwt } from "../services/financeAuth.ts";
import { FinanceJournalsPage, FinanceLoginPage } from "../views/finance.tsx";

type FinanceEnv = AppEnv & { Variables: AppEnv["Variables"] & { financeUser: string } };

export const financeRoutes = new Hono<FinanceEnv>();

const FINANCE_COOKIE = "pbc_finance";

const wantsJson = (c: Context<FinanceEnv>) => c.req.path.startsWith("/finance/api/");

const requireFinance: MiddlewareHandler<FinanceEnv> = async (c, next) => {
  const audit = auditRecorder(c.get("db"), {
    actor: "finance",
    sourceIp: c.req.header("CF-Connecting-IP") ?? null,
    log: c.get("log"),
  });
  const refuse = async (reason: string) => {
    await audit("finance.access_refused", "failure", { target: c.req.path, detail: { reason } });
    if (wantsJson(c) || c.req.path.includes("/files/")) {
      c.header("WWW-Authenticate", 'Bearer realm="paybc-finance"');
      return c.json(
        { error: "unauthorized", message: "Finance staff only: sign in through Cloudflare Access or present the finance token" },
        401,
      );
    }
    return c.redirect("/finance/login", 303);
  };
  const env = c.env;
  if (env.CF_ACCESS_TEAM_DOMAIN && env.CF_ACCESS_AUD) {
    const assertion = c.req.header("Cf-Access-Jwt-Assertion");
    if (!assertion) return refuse("no Access assertion");
    const issuer = accessIssuer(env.CF_ACCESS_TEAM_DOMAIN);
    let identity: Awaited<ReturnType<typeof verifyAccessJwt>>;
    try {
      identity = await verifyAccessJwt(assertion, {
        keys: await accessKeys(issuer, new Date()),
        audience: env.CF_ACCESS_AUD,
        issuer,
        now: new Date(),
      });
    } catch (error) {
      c.get("log").error("Access keys unavailable", { error: String(error) });
      return c.json({ error: "unavailable", message: "Cannot verify Cloudflare Access right now" }, 503);
    }
    if (!identity.ok) return refuse(identity.reason);
    c.set("financeUser", identity.who);
    return next();
  }
  const header = c.req.header("Authorization");
  const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const presented = bearer ?? getCookie(c, FINANCE_COOKIE);
  if (!financeTokenMatches(env.FINANCE_TOKEN, presented)) return refuse(presented ? "wrong finance token" : "no credentials");
  c.set("financeUser", "finance-token");
  return next();
};

// Local sign-in with the finance token (where Cloudflare Access is not in front of the portal).
financeRoutes.get("/login", (c) => c.html(<FinanceLoginPage nonce={c.get("nonce")} error={null} />));
financeRoutes.post("/login", async (c) => {
  const form = await c.req.parseBody();
  const token = typeof form.token === "string" ? form.token : "";
  if (c.env.CF_ACCESS_TEAM_DOMAIN || !financeTokenMatches(c.env.FINANCE_TOKEN, token)) {
    c.status(401);
    return c.html(<FinanceLoginPage nonce={c.get("nonce")} error="That finance token is not right." />);
  }
  setCookie(c, FINANCE_COOKIE, token, { path: "/finance", httpOnly: true, secure: true, sameSite: "Strict", maxAge: 8 * 3600 });
  return c.redirect("/finance/journals", 303);
});

financeRoutes.use("/journals", requireFinance);
financeRoutes.use("/journals/*", requireFinance);
financeRoutes.use("/api/*", requireFinance);

interface Filters {
  from?: string;
  to?: string;
  partner?: string;
}

function readFilters(c: Context<FinanceEnv>): Filters | { error: string } {
  const { from, to, partner } = c.req.query();
  if (from && !isValidDate(from)) return { error: "from must be a date in yyyy-MM-dd format" };
  if (to && !isValidDate(to)) return { error: "to must be a date in yyyy-MM-dd format" };
  if (partner && !/^\d{1,10}$/.test(partner)) return { error: "partner must be a PayBC reference number" };
  return { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(partner ? { partner } : {}) };
}

function fileList(batch: JournalBatch) {
  const files = batch.files ? (JSON.parse(batch.files) as Record<string, { key: string; sha256: string; size: number }>) : {};
  return Object.entries(files).map(([name, file]) => ({
    name,
    fileName: file.key.slice(file.key.lastIndexOf("/") + 1),
    sha256: file.sha256,
    size: file.size,
    url: `/finance/journals/${batch.id}/files/${encodeURIComponent(name)}`,
  }));
}

export function journalSummary(batch: JournalBatch) {
  return {
    id: batch.id,
    glDate: batch.glDate,
    pbcRefNumber: batch.pbcRefNumber,
    sequence: batch.sequence,
    status: batch.status,
    lineCount: batch.lineCount,
    accountCount: batch.accountCount,
    debitTotal: batch.debitTotalCents === null ? null : formatCents(batch.debitTotalCents),
    creditTotal: batch.creditTotalCents === null ? null : formatCents(batch.creditTotalCents),
    createdAt: batch.claimedAt,
    postedAt: batch.postedAt,
    files: fileList(batch),
  };
}

financeRoutes.get("/api/journals", async (c) => {
  const filters = readFilters(c);
  if ("error" in filters) return c.json({ error: "invalid_filter", message: filters.error }, 400);
  const batches = await listBatches(c.get("db"), { from: filters.from, to: filters.to, pbcRefNumber: filters.partner });
  return c.json({ journals: batches.map(journalSummary) });
});

financeRoutes.get("/journals", async (c) => {
  const filters = readFilters(c);
  if ("error" in filters) {
    c.status(400);
    return c.html(
      <FinanceJournalsPage nonce={c.get("nonce")} journals={[]} filters={{}} error={filters.error} user={c.get("financeUser")} />,
    );
  }
  const batches = await listBatches(c.get("db"), { from: filters.from, to: filters.to, pbcRefNumber: filters.partner });
  return c.html(
    <FinanceJournalsPage
      nonce={c.get("nonce")}
      journals={batches.map(journalSummary)}
      filters={filters}
      error={null}
      user={c.get("financeUser")}
    />,
  );
});

financeRoutes.get("/journals/:id/files/:name", async (c) => {
  const id = Number(c.req.param("id"));
  const batch = Number.isSafeInteger(id) ? await findBatch(c.get("db"), id) : undefined;
  const file = batch ? fileList(batch).find((f) => f.name === c.req.param("name")) : undefined;
  if (!batch || !file) return c.json({ error: "not_found", message: "No such journal file" }, 404);
  const key = (JSON.parse(batch.files as string) as Record<string, { key: string }>)[file.name]?.key as string;
  const object = await c.env.JOURNALS.get(key);
  if (!object) return c.json({ error: "not_found", message: "The journal file is missing from storage" }, 404);
  await auditRecorder(c.get("db"), {
    actor: c.get("financeUser"),
    sourceIp: c.req.header("CF-Connecting-IP") ?? null,
    log: c.get("log"),
  })("finance.download", "success", { target: key, detail: { batchId: batch.id, sha256: file.sha256 } });
  return new Response(object.body, {
    headers: {
      "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
      "Content-Length": String(object.size),
      "Content-Disposition": `attachment; filename="${file.fileName.replace(/"/g, "")}"`,
      "X-Content-SHA256": file.sha256,
      "Repr-Digest": `sha-256=:${bytesToBase64(hexToBytes(file.sha256))}:`,
      "Cache-Control": "no-store",
    },
  });
});
