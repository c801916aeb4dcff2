/**
 * /finance: journal listing (HTML and JSON), file downloads and the ledger's feedback files (upload
 * and outcomes) for finance staff only.
 */
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { readLedgerConfig } from "../config.ts";
import { isValidDate } from "../domain/businessTime.ts";
import { BODY_LIMITS, clientAddress, limitBody, withinLimit } from "../http/limits.ts";
import type { AppEnv } from "../http/types.ts";
import { bytesToBase64, hexToBytes } from "../lib/encoding.ts";
import { auditRecorder } from "../services/audit.ts";
import {
  accessIssuer,
  accessKeys,
  endFinanceSession,
  FINANCE_SESSION_SECONDS,
  financeSessionEnds,
  financeTokenAllowed,
  financeTokenMatches,
  startFinanceSession,
  verifyAccessJwt,
} from "../services/financeAuth.ts";
import {
  findFeedback,
  type JournalFilters,
  type JournalSummary,
  journalDetail,
  journalFile,
  listFeedback,
  listJournals,
  MANIFEST,
  type NamedFeedbackOutcome,
  namedOutcome,
  REJECTS_SHOWN,
  rejectedLines,
} from "../services/journals.ts";
import { FeedbackInputError, MAX_FEEDBACK_BYTES, receiveLedgerFile } from "../services/ledgerFeedback.ts";
import {
  FinanceFeedbackPage,
  FinanceJournalPage,
  FinanceJournalsPage,
  FinanceLoginPage,
  FinanceRejectsPage,
  type FinanceViewer,
} from "../views/finance.tsx";

type FinanceEnv = AppEnv & {
  Variables: AppEnv["Variables"] & { financeUser: string; financeSession?: boolean; financeSessionEnds?: string };
};

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
      c.get("log").error("Access keys unavailable", { error });
      return c.json({ error: "unavailable", message: "Cannot verify Cloudflare Access right now" }, 503);
    }
    if (!identity.ok) return refuse(identity.reason);
    c.set("financeUser", identity.who);
    return next();
  }
  if (!tokenFallbackAllowed(c)) {
    c.get("log").error("finance access refused: Cloudflare Access is not configured and the finance token is off here");
    return c.json({ error: "unavailable", message: "Finance access is not configured: sign in through Cloudflare Access" }, 503);
  }
  const bearer = c.req.header("Authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer !== undefined) {
    if (!(await withinLimit(c.env.AUTH_RATE_LIMITER, `finance:${clientAddress(c) ?? "unknown"}`))) return tooMany(c);
    if (!financeTokenMatches(env.FINANCE_TOKEN, bearer)) return refuse("wrong finance token");
    c.set("financeUser", "finance-token");
    return next();
  }
  const session = getCookie(c, FINANCE_COOKIE);
  const ends = await financeSessionEnds(c.get("db"), session, new Date());
  if (ends === null) return refuse(session ? "finance session ended" : "no credentials");
  c.set("financeUser", "finance-token");
  c.set("financeSession", true);
  c.set("financeSessionEnds", ends);
  return next();
};

function tokenFallbackAllowed(c: Context<FinanceEnv>): boolean {
  return financeTokenAllowed({
    environment: c.get("config").environment,
    accessConfigured: Boolean(c.env.CF_ACCESS_TEAM_DOMAIN && c.env.CF_ACCESS_AUD),
    fallbackEnabled: c.env.FINANCE_TOKEN_FALLBACK === "true",
  });
}

function signOutKind(c: Context<FinanceEnv>): "session" | "access" | null {
  if (c.get("financeSession")) return "session";
  return c.env.CF_ACCESS_TEAM_DOMAIN && c.env.CF_ACCESS_AUD ? "access" : null;
}

/** Who is signed in, until when, and how they sign out: the same on every finance page. */
function viewer(c: Context<FinanceEnv>): FinanceViewer {
  return { user: c.get("financeUser"), signOut: signOutKind(c), sessionEnds: c.get("financeSessionEnds") ?? null };
}

function tooMany(c: Context<FinanceEnv>) {
  c.header("Retry-After", "60");
  return c.json({ error: "rate_limited", message: "Too many attempts: wait a minute and try again" }, 429);
}

function financeAudit(c: Context<FinanceEnv>) {
  return auditRecorder(c.get("db"), { actor: "finance", sourceIp: clientAddress(c), log: c.get("log") });
}

// Sign-in with the finance token where Cloudflare Access is not in front of the portal: a random,
// server-side session of an hour, ended by signing out; attempts are throttled per address.
financeRoutes.get("/login", (c) => {
  if (!tokenFallbackAllowed(c)) return c.redirect("/finance/journals", 303);
  return c.html(<FinanceLoginPage nonce={c.get("nonce")} error={null} />);
});

financeRoutes.post("/login", limitBody(BODY_LIMITS.publicForm), async (c) => {
  if (!tokenFallbackAllowed(c))
    return c.json({ error: "not_found", message: "Finance sign-in is through Cloudflare Access" }, 404);
  let form: Record<string, unknown>;
  try {
    form = await c.req.parseBody();
  } catch {
    c.status(400);
    return c.html(<FinanceLoginPage nonce={c.get("nonce")} error="We could not read that form. Try again." />);
  }
  if (!(await withinLimit(c.env.AUTH_RATE_LIMITER, `finance-login:${clientAddress(c) ?? "unknown"}`))) {
    await financeAudit(c)("finance.login_throttled", "failure");
    c.status(429);
    c.header("Retry-After", "60");
    return c.html(<FinanceLoginPage nonce={c.get("nonce")} error="Too many sign-in attempts. Wait a minute and try again." />);
  }
  const presented = typeof form.token === "string" ? form.token : "";
  const session = await startFinanceSession(c.get("db"), c.env.FINANCE_TOKEN, presented, clientAddress(c), new Date());
  if (session === null) {
    await financeAudit(c)("finance.login_failed", "failure");
    c.status(401);
    return c.html(<FinanceLoginPage nonce={c.get("nonce")} error="That finance token is not right." />);
  }
  await financeAudit(c)("finance.login", "success");
  setCookie(c, FINANCE_COOKIE, session, {
    path: "/finance",
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    maxAge: FINANCE_SESSION_SECONDS,
  });
  return c.redirect("/finance/journals", 303);
});

financeRoutes.post("/logout", async (c) => {
  await endFinanceSession(c.get("db"), getCookie(c, FINANCE_COOKIE));
  deleteCookie(c, FINANCE_COOKIE, { path: "/finance", secure: true });
  await financeAudit(c)("finance.logout", "success");
  return c.redirect("/finance/login", 303);
});

financeRoutes.use("/journals", requireFinance);
financeRoutes.use("/journals/*", requireFinance);
financeRoutes.use("/api/*", requireFinance);
financeRoutes.use("/feedback", requireFinance);
financeRoutes.use("/rejects", requireFinance);
financeRoutes.use("/feedback/*", requireFinance);

// /finance itself is where staff type: the journals list (which sends them to sign in if need be).
financeRoutes.get("/", (c) => c.redirect("/finance/journals", 303));

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

/** A journal as finance sees it, with each file's download address. */
function withUrls<T extends JournalSummary>(journal: T) {
  return {
    ...journal,
    files: journal.files.map((file) => ({
      ...file,
      url: `/finance/journals/${journal.id}/files/${encodeURIComponent(file.name)}`,
    })),
    manifest: journal.manifest ? { fileName: journal.manifest, url: `/finance/journals/${journal.id}/files/${MANIFEST}` } : null,
  };
}

async function journals(c: Context<FinanceEnv>, filters: JournalFilters) {
  const { journals, totals } = await listJournals(c.get("db"), filters);
  return { journals: journals.map(withUrls), totals };
}

financeRoutes.get("/api/journals", async (c) => {
  const filters = readFilters(c);
  if ("error" in filters) return c.json({ error: "invalid_filter", message: filters.error }, 400);
  return c.json(await journals(c, filters));
});

financeRoutes.get("/journals", async (c) => {
  const filters = readFilters(c);
  if ("error" in filters) {
    c.status(400);
    return c.html(
      <FinanceJournalsPage
        nonce={c.get("nonce")}
        journals={[]}
        totals={null}
        filters={{}}
        error={filters.error}
        viewer={viewer(c)}
      />,
    );
  }
  const list = await journals(c, filters);
  return c.html(
    <FinanceJournalsPage
      nonce={c.get("nonce")}
      journals={list.journals}
      totals={list.totals}
      filters={filters}
      error={null}
      viewer={viewer(c)}
    />,
  );
});

/** Needs attention: the lines the ledger rejected, with its message (JSON, page; `npm run journals -- rejects`). */
financeRoutes.get("/api/rejects", async (c) => {
  const filters = readFilters(c);
  if ("error" in filters) return c.json({ error: "invalid_filter", message: filters.error }, 400);
  return c.json({ rejects: await rejectedLines(c.get("db"), filters), limit: REJECTS_SHOWN });
});

financeRoutes.get("/rejects", async (c) => {
  const filters = readFilters(c);
  const error = "error" in filters ? filters.error : null;
  if (error) c.status(400);
  return c.html(
    <FinanceRejectsPage
      nonce={c.get("nonce")}
      rejects={error ? [] : await rejectedLines(c.get("db"), filters as Filters)}
      limit={REJECTS_SHOWN}
      partner={error ? undefined : (filters as Filters).partner}
      error={error}
      viewer={viewer(c)}
    />,
  );
});

/** One journal: its lines, control totals, the ledger's answer and its downloads (JSON and page). */
financeRoutes.get("/api/journals/:id", async (c) => {
  const journal = await journalDetail(c.get("db"), journalId(c.req.param("id")));
  if (!journal) return c.json({ error: "not_found", message: "No such journal" }, 404);
  return c.json(withUrls(journal));
});

financeRoutes.get("/journals/:id", async (c) => {
  const journal = await journalDetail(c.get("db"), journalId(c.req.param("id")));
  if (!journal) return c.notFound();
  return c.html(<FinanceJournalPage nonce={c.get("nonce")} journal={withUrls(journal)} viewer={viewer(c)} />);
});

/** A journal id from the path: digits only ("1e3", "0x10" and " 7" are no journal's id). */
function journalId(text: string): number {
  return /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
}

financeRoutes.get("/journals/:id/files/:name", async (c) => {
  const found = await journalFile(c.get("db"), c.env.JOURNALS, Number(c.req.param("id")), c.req.param("name"));
  if (!found) return c.json({ error: "not_found", message: "No such journal file" }, 404);
  if (!found.object) return c.json({ error: "not_found", message: "The journal file is missing from storage" }, 404);
  const { object, stored: file } = found;
  await auditRecorder(c.get("db"), { actor: c.get("financeUser"), sourceIp: clientAddress(c), log: c.get("log") })(
    "finance.download",
    "success",
    { target: file.key, detail: { batchId: found.batch.id, sha256: file.sha256 } },
  );
  return new Response(object.body, {
    headers: {
      "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
      "Content-Length": String(object.size),
      "Content-Disposition": `attachment; filename="${found.fileName.replace(/"/g, "")}"`,
      "X-Content-SHA256": file.sha256,
      "Repr-Digest": `sha-256=:${bytesToBase64(hexToBytes(file.sha256))}:`,
      "Cache-Control": "no-store",
    },
  });
});

// ---------------------------------------------------------------- ledger feedback files

/** Upload refused before anything is kept: a clear 4xx. */
type UploadRead = { ok: true; name: string; bytes: Uint8Array } | { ok: false; status: 400 | 413; message: string };

async function readUpload(c: Context<FinanceEnv>): Promise<UploadRead> {
  const length = Number(c.req.header("Content-Length") ?? "0");
  if (length > MAX_FEEDBACK_BYTES + 64 * 1024) return { ok: false, status: 413, message: "The file is larger than 20 MiB" };
  const type = c.req.header("Content-Type") ?? "";
  if (type.startsWith("multipart/form-data")) {
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody();
    } catch {
      return { ok: false, status: 400, message: "The upload could not be read" };
    }
    const file = form.file;
    if (!(file instanceof File) || file.size === 0)
      return { ok: false, status: 400, message: "Choose the ledger's FEEDBACK or ACK file" };
    return { ok: true, name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
  }
  const name = c.req.query("name") ?? "";
  if (!name) return { ok: false, status: 400, message: "Give the file's name: ?name=FEEDBACK.F3535.20251201214139" };
  return { ok: true, name, bytes: new Uint8Array(await c.req.arrayBuffer()) };
}

async function upload(
  c: Context<FinanceEnv>,
): Promise<{ outcome: NamedFeedbackOutcome } | { status: 400 | 413; message: string }> {
  const read = await readUpload(c);
  if (!read.ok) return { status: read.status, message: read.message };
  const log = c.get("log");
  const db = c.get("db");
  try {
    const outcome = await receiveLedgerFile(
      {
        db,
        bucket: c.env.JOURNALS,
        ledger: readLedgerConfig(c.env),
        audit: auditRecorder(db, { actor: c.get("financeUser"), sourceIp: c.req.header("CF-Connecting-IP") ?? null, log }),
        notify: c.get("notify"),
        log,
        now: new Date(),
      },
      { name: read.name, bytes: read.bytes, source: "upload", receivedBy: c.get("financeUser") },
    );
    return { outcome: await namedOutcome(db, outcome) };
  } catch (error) {
    if (error instanceof FeedbackInputError) return { status: 400, message: error.message };
    throw error;
  }
}

financeRoutes.get("/api/feedback", async (c) => {
  return c.json({ feedback: await listFeedback(c.get("db"), 100) });
});

financeRoutes.get("/api/feedback/:id", async (c) => {
  const feedback = await findFeedback(c.get("db"), Number(c.req.param("id")));
  if (!feedback) return c.json({ error: "not_found", message: "No such feedback file" }, 404);
  return c.json(feedback);
});

financeRoutes.post("/api/feedback", async (c) => {
  const result = await upload(c);
  if ("message" in result) return c.json({ error: "invalid_file", message: result.message }, result.status);
  return c.json(result.outcome, result.outcome.duplicate ? 200 : 201);
});

async function feedbackPage(c: Context<FinanceEnv>, extra: { outcome?: NamedFeedbackOutcome; error?: string }) {
  return c.html(
    <FinanceFeedbackPage
      nonce={c.get("nonce")}
      files={await listFeedback(c.get("db"), 50)}
      outcome={extra.outcome ?? null}
      error={extra.error ?? null}
      viewer={viewer(c)}
    />,
  );
}

financeRoutes.get("/feedback", (c) => feedbackPage(c, {}));

financeRoutes.post("/feedback", async (c) => {
  // A form post from another site must not upload in a signed-in user's name.
  const origin = c.req.header("Origin");
  if (origin && origin !== new URL(c.req.url).origin) {
    c.status(403);
    return feedbackPage(c, { error: "This upload did not come from the finance page." });
  }
  const result = await upload(c);
  if ("message" in result) {
    c.status(result.status);
    return feedbackPage(c, { error: result.message });
  }
  return feedbackPage(c, { outcome: result.outcome });
});
