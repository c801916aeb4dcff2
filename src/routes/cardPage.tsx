/** The hosted card page: /public/pay/:linkToken (single-use entry) and /public/card/:id/... */
import type { Context } from "hono";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { findPartnerLogo } from "../db/partnerLogos.ts";
import { pacificDate } from "../domain/businessTime.ts";
import { targetOrigin } from "../domain/redirectTargets.ts";
import { constantTimeEqual } from "../domain/signature.ts";
import { pageLanguage } from "../http/language.ts";
import { BODY_LIMITS, clientAddress, limitBody, withinLimit } from "../http/limits.ts";
import type { AppEnv } from "../http/types.ts";
import { type Catalogue, catalogue, type Language } from "../i18n/index.ts";
import { auditRecorder } from "../services/audit.ts";
import {
  type CardDeps,
  type CardView,
  cancelPayment,
  cardPageView,
  csrfTokenFor,
  loadContext,
  openLink,
  outcomeKnown,
  type PaymentContext,
  retryAfterDecline,
  returnToService,
  submitCard,
} from "../services/cardPayment/index.ts";
import { formNoticeWords, outcomeWords, sessionlessWords } from "../views/cardOutcomes.ts";
import { CardPage } from "../views/cardPage.tsx";
import { OutcomePage, RequestErrorPage } from "../views/pages.tsx";
import { partnerFace } from "../views/partner.tsx";
import { ReceiptPage, receiptFacts } from "../views/receipt.tsx";

export const cardPageRoutes = new Hono<AppEnv>();

/** Session cookie scoped to one attempt's pages. */
const SESSION_COOKIE = "pbc_session";

/** The single-use link the direct sale sends the browser to. */
export function payLinkPath(linkToken: string): string {
  return `/public/pay/${linkToken}`;
}

export function cardPath(externalId: string): string {
  return `/public/card/${externalId}`;
}

cardPageRoutes.use("/card/*", limitBody(BODY_LIMITS.publicForm));

function deps(c: Context<AppEnv>): CardDeps {
  const db = c.get("db");
  return {
    db,
    config: c.get("config"),
    encryptionKey: c.env.API_KEY_ENCRYPTION_KEY,
    processor: c.get("processor"),
    audit: auditRecorder(db, { actor: "public", sourceIp: clientAddress(c), log: c.get("log") }),
    notify: c.get("notify"),
    log: c.get("log"),
    now: new Date(),
    receipts: c.env.RECEIPTS,
  };
}

/** The page's language and catalogue, once the payment (and so the partner's signed choice) is known. */
function language(c: Context<AppEnv>, context?: PaymentContext): { lang: Language; t: Catalogue } {
  const lang = pageLanguage({ lang: c.get("lang"), langChosen: c.get("langChosen") }, context?.attempt.language ?? null);
  return { lang, t: catalogue(lang) };
}

/** The same page in the other language: the switch keeps the person on the page they are on. */
function switchHref(c: Context<AppEnv>, t: Catalogue, path = c.req.path): string {
  return `${path}?lang=${t.layout.switchLanguage}`;
}

/** Without the payment's session the page says only what the payment's state proves, never "no money taken". */
function sessionExpiredPage(c: Context<AppEnv>, view: Extract<CardView, { kind: "session-expired" }> | null) {
  const { t } = language(c);
  const { title, lead } = sessionlessWords(view?.state ?? "not-known", view?.serviceName ?? null, t);
  c.status(403);
  return c.html(<RequestErrorPage nonce={c.get("nonce")} title={title} lead={lead} problems={[]} t={t} />);
}

function notFoundPage(c: Context<AppEnv>) {
  const { t } = language(c);
  c.status(404);
  return c.html(
    <RequestErrorPage nonce={c.get("nonce")} title={t.session.notFoundTitle} lead={t.session.notFoundLead} problems={[]} t={t} />,
  );
}

async function render(c: Context<AppEnv>, view: CardView, sessionToken: string | undefined) {
  switch (view.kind) {
    case "not-found":
      return notFoundPage(c);
    case "session-expired":
      return sessionExpiredPage(c, view);
    case "redirect":
      return c.redirect(view.location, 303);
    case "card-page":
      return c.redirect(cardPath(view.externalId), 303);
    case "outcome": {
      const { context } = view;
      const { lang, t } = language(c, context);
      const path = cardPath(context.attempt.externalId);
      const success = view.state === "success";
      const words = outcomeWords(
        view.state,
        {
          serviceName: partnerFace(context.partner, lang).name,
          amountCents: context.transaction.trnAmountCents,
          description: context.transaction.description,
          reference: context.transaction.trnOrderId,
          receiptRequested: success && context.attempt.receiptStatus !== null && context.attempt.receiptStatus !== "ERASED",
          triesLeft: view.triesLeft,
        },
        t,
      );
      c.status(view.state === "rate-limited" ? 429 : 200);
      return c.html(
        <OutcomePage
          t={t}
          nonce={c.get("nonce")}
          partner={partnerFace(context.partner, lang)}
          words={words}
          receiptUrl={success && context.attempt.state === "APPROVED" ? `${path}/receipt` : null}
          retryAction={words.retry ? `${path}/retry` : null}
          csrfToken={words.retry ? await csrfTokenFor(sessionToken ?? "") : null}
          returnUrl={words.returnLink ? `${path}/return` : null}
          statusUrl={words.waiting ? `${path}/status` : null}
          checkAgainUrl={words.waiting ? path : null}
          switchHref={switchHref(c, t, path)}
        />,
      );
    }
    case "form": {
      const { context } = view;
      const { lang, t } = language(c, context);
      const path = cardPath(context.attempt.externalId);
      // The form posts here, and the answer redirects to the partner: CSP form-action must allow both.
      const origin = targetOrigin(context.transaction.redirectUri);
      if (origin) c.set("formActionOrigins", [origin]);
      c.status(Object.keys(view.errors).length > 0 ? 400 : 200);
      return c.html(
        <CardPage
          t={t}
          nonce={c.get("nonce")}
          partner={partnerFace(context.partner, lang)}
          description={context.transaction.description}
          amountCents={context.transaction.trnAmountCents}
          paymentMethod={context.transaction.paymentMethod}
          today={pacificDate(new Date())}
          action={path}
          cancelAction={`${path}/cancel`}
          csrfToken={await csrfTokenFor(sessionToken ?? "")}
          errors={view.errors}
          values={{
            expiryMonth: view.values.expiryMonth ?? "",
            expiryYear: view.values.expiryYear ?? "",
            cardholderName: view.values.cardholderName ?? "",
            email: view.values.email ?? "",
          }}
          scripts={["/public/assets/card.js"]}
          switchHref={switchHref(c, t, path)}
          notice={formNoticeWords(view.notice, t)}
        />,
      );
    }
  }
}

/** Entry: use the single-use link, bind it to this browser with a cookie scoped to the card pages. */
cardPageRoutes.get("/pay/:linkToken", async (c) => {
  const result = await openLink(deps(c), c.req.param("linkToken"));
  if (result.kind !== "ok") return sessionExpiredPage(c, null);
  setCookie(c, SESSION_COOKIE, result.sessionToken, {
    path: cardPath(result.externalId),
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    maxAge: Math.ceil((result.sessionValidUntil.getTime() - Date.now()) / 1000),
  });
  return c.redirect(cardPath(result.externalId), 303);
});

/** A POSTed form's fields (strings only). A body that cannot be parsed is the sender's error: 400. */
async function readForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    throw new HTTPException(400, { message: catalogue(c.get("lang")).request.formUnreadable });
  }
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") form[name] = value;
  return form;
}

async function withContext(
  c: Context<AppEnv>,
  action: (d: CardDeps, context: PaymentContext, form: Record<string, string>) => Promise<CardView>,
  options: { post: boolean; form?: Record<string, string> },
) {
  // A POST's body is read in full before the payment is loaded and before `now` is taken: a body
  // held open must not let the request act on a payment as it was before the wait.
  const form = options.form ?? (options.post ? await readForm(c) : {});
  const d = deps(c);
  const sessionToken = getCookie(c, SESSION_COOKIE);
  const loaded = await loadContext(d, c.req.param("id") ?? "", sessionToken);
  if (!("attempt" in loaded)) return render(c, loaded, sessionToken);
  if (options.post && !constantTimeEqual(form.csrfToken ?? "", await csrfTokenFor(sessionToken as string))) {
    await d.audit("card.csrf_failed", "failure", { target: loaded.attempt.externalId });
    const { t } = language(c, loaded);
    c.status(403);
    return c.html(
      <RequestErrorPage nonce={c.get("nonce")} title={t.session.csrfTitle} problems={[t.session.csrfProblem]} t={t} />,
    );
  }
  return render(c, await action(d, loaded, form), sessionToken);
}

cardPageRoutes.get("/card/:id", (c) => withContext(c, (d, context) => cardPageView(d, context), { post: false }));

/**
 * The card form. The CSRF token and the rate limit need no database; a submission that passes both
 * goes to submitCard, which loads the payment in the batch that locks it. A refused one is answered
 * with the payment loaded first (the CSRF audit entry and the rate-limit page name it).
 */
cardPageRoutes.post("/card/:id", async (c) => {
  const form = await readForm(c);
  const sessionToken = getCookie(c, SESSION_COOKIE);
  const csrfValid = sessionToken !== undefined && constantTimeEqual(form.csrfToken ?? "", await csrfTokenFor(sessionToken));
  if (!csrfValid)
    return withContext(c, async (_d, context) => ({ kind: "card-page", externalId: context.attempt.externalId }), {
      post: true,
      form,
    });
  if (!(await withinLimit(c.env.CARD_RATE_LIMITER, `card:${clientAddress(c) ?? "unknown"}`))) {
    return withContext(
      c,
      async (d, context) => {
        await d.audit("card.rate_limited", "failure", { target: context.attempt.externalId });
        return { kind: "outcome", context, state: "rate-limited" } satisfies CardView;
      },
      { post: true, form },
    );
  }
  const text = (name: string) => form[name] ?? "";
  const view = await submitCard(deps(c), {
    externalId: c.req.param("id"),
    sessionToken,
    input: {
      cardNumber: text("cardNumber"),
      expiryMonth: text("expiryMonth"),
      expiryYear: text("expiryYear"),
      cardholderName: text("cardholderName"),
      securityCode: text("securityCode"),
      email: text("email"),
    },
    messagesFor: (context) => {
      const { lang, t } = language(c, context);
      return { card: t.cardErrors, emailInvalid: t.card.emailInvalid, language: lang };
    },
    language: { chosen: c.get("langChosen") ? c.get("lang") : null, browser: c.get("lang") },
  });
  return render(c, view, sessionToken);
});

cardPageRoutes.post("/card/:id/cancel", (c) => withContext(c, (d, context) => cancelPayment(d, context), { post: true }));

cardPageRoutes.post("/card/:id/retry", (c) => withContext(c, (d, context) => retryAfterDecline(d, context), { post: true }));

/** The printable receipt: only for the attempt that paid, in this browser. */
cardPageRoutes.get("/card/:id/receipt", async (c) => {
  const d = deps(c);
  const sessionToken = getCookie(c, SESSION_COOKIE);
  const loaded = await loadContext(d, c.req.param("id"), sessionToken);
  if (!("attempt" in loaded)) return render(c, loaded, sessionToken);
  const { lang, t } = language(c, loaded);
  const path = cardPath(loaded.attempt.externalId);
  if (loaded.attempt.state !== "APPROVED" || loaded.transaction.paymentStatus === "PNDNG") {
    c.status(404);
    return c.html(
      <RequestErrorPage nonce={c.get("nonce")} title={t.receipt.notPaidTitle} lead={t.receipt.notPaidLead} problems={[]} t={t} />,
    );
  }
  return c.html(
    <ReceiptPage
      t={t}
      nonce={c.get("nonce")}
      facts={receiptFacts(loaded.transaction, loaded.partner, lang)}
      backUrl={path}
      switchHref={switchHref(c, t)}
    />,
  );
});

/** The partner's logo, from the portal's own origin; an SVG can never run script here. */
cardPageRoutes.get("/partner-logo/:ref/:hash", async (c) => {
  const logo = await findPartnerLogo(c.get("db"), c.req.param("ref"));
  if (!logo?.sha256.startsWith(c.req.param("hash")) || c.req.param("hash").length < 16) return c.notFound();
  const bytes = Uint8Array.from(atob(logo.dataBase64), (ch) => ch.charCodeAt(0));
  c.header("Content-Type", logo.contentType);
  c.header("Cache-Control", "public, max-age=86400, immutable");
  c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  return c.body(bytes);
});

cardPageRoutes.get("/card/:id/return", (c) => withContext(c, (d, context) => returnToService(d, context), { post: false }));

/** JSON for the waiting page's script: is the outcome known yet? */
cardPageRoutes.get("/card/:id/status", async (c) => {
  const d = deps(c);
  const loaded = await loadContext(d, c.req.param("id"), getCookie(c, SESSION_COOKIE));
  if (!("attempt" in loaded)) return c.json({ error: "not_found", message: "No such payment session" }, 404);
  return c.json({ done: await outcomeKnown(d, loaded) });
});
