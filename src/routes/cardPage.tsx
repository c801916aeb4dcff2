/** The hosted card page: /public/pay/:linkToken (single-use entry) and /public/card/:id/... */
import type { Context } from "hono";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { pacificDate } from "../domain/businessTime.ts";
import { formatCents } from "../domain/money.ts";
import { targetOrigin } from "../domain/redirectTargets.ts";
import { constantTimeEqual } from "../domain/signature.ts";
import { BODY_LIMITS, clientAddress, limitBody, withinLimit } from "../http/limits.ts";
import type { AppEnv } from "../http/types.ts";
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
  returnToService,
  submitCard,
} from "../services/cardPayment/index.ts";
import { outcomeWords, PROCESSING_FAILED_NOTICE, sessionlessWords } from "../views/cardOutcomes.ts";
import { CardPage } from "../views/cardPage.tsx";
import { OutcomePage, RequestErrorPage } from "../views/pages.tsx";

export const cardPageRoutes = new Hono<AppEnv>();

/** Session cookie scoped to one attempt's pages. */
const SESSION_COOKIE = "pbc_session";

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
    log: c.get("log"),
    now: new Date(),
  };
}

/** Without the payment's session the page says only what the payment's state proves, never "no money taken". */
function sessionExpiredPage(c: Context<AppEnv>, view: Extract<CardView, { kind: "session-expired" }> | null) {
  const { title, lead } = sessionlessWords(view?.state ?? "not-known", view?.serviceName ?? null);
  c.status(403);
  return c.html(<RequestErrorPage nonce={c.get("nonce")} title={title} lead={lead} problems={[]} />);
}

function notFoundPage(c: Context<AppEnv>) {
  c.status(404);
  return c.html(
    <RequestErrorPage
      nonce={c.get("nonce")}
      title="We cannot find this payment"
      lead="Check that the address is complete, or return to the service you were using."
      problems={[]}
    />,
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
      const page = outcomeWords(view.state, {
        serviceName: context.partner.name,
        amountCents: context.transaction.trnAmountCents,
        description: context.transaction.description,
        reference: context.transaction.trnOrderId,
      });
      c.status(view.state === "rate-limited" ? 429 : 200);
      return c.html(
        <OutcomePage
          nonce={c.get("nonce")}
          serviceName={context.partner.name}
          title={page.title}
          paragraphs={page.paragraphs}
          returnUrl={page.returnLink ? `${cardPath(context.attempt.externalId)}/return` : null}
          returnLabel={page.returnLabel ?? `Return to ${context.partner.name}`}
          statusUrl={page.waiting ? `${cardPath(context.attempt.externalId)}/status` : null}
          checkAgainUrl={page.waiting ? cardPath(context.attempt.externalId) : null}
          panel={page.panel}
          reference={page.reference}
        />,
      );
    }
    case "form": {
      const { context } = view;
      const path = cardPath(context.attempt.externalId);
      // The form posts here, and the answer redirects to the partner: CSP form-action must allow both.
      const origin = targetOrigin(context.transaction.redirectUri);
      if (origin) c.set("formActionOrigins", [origin]);
      c.status(Object.keys(view.errors).length > 0 ? 400 : 200);
      return c.html(
        <CardPage
          nonce={c.get("nonce")}
          serviceName={context.partner.name}
          description={context.transaction.description}
          amount={formatCents(context.transaction.trnAmountCents)}
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
          }}
          scripts={["/public/assets/card.js"]}
          notice={view.notice === "processing-failed" ? PROCESSING_FAILED_NOTICE : null}
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
    throw new HTTPException(400, { message: "Sorry, we could not read that form" });
  }
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") form[name] = value;
  return form;
}

async function withContext(
  c: Context<AppEnv>,
  action: (d: CardDeps, context: PaymentContext, form: Record<string, string>) => Promise<CardView>,
  options: { post: boolean },
) {
  // A POST's body is read in full before the payment is loaded and before `now` is taken: a body
  // held open must not let the request act on a payment as it was before the wait.
  const form = options.post ? await readForm(c) : {};
  const d = deps(c);
  const sessionToken = getCookie(c, SESSION_COOKIE);
  const loaded = await loadContext(d, c.req.param("id") ?? "", sessionToken);
  if (!("attempt" in loaded)) return render(c, loaded, sessionToken);
  if (options.post && !constantTimeEqual(form.csrfToken ?? "", await csrfTokenFor(sessionToken as string))) {
    await d.audit("card.csrf_failed", "failure", { target: loaded.attempt.externalId });
    c.status(403);
    return c.html(
      <RequestErrorPage
        nonce={c.get("nonce")}
        title="Sorry, we could not accept that form"
        problems={["The form had expired or did not come from this page. Go back to the payment page and try again."]}
      />,
    );
  }
  return render(c, await action(d, loaded, form), sessionToken);
}

cardPageRoutes.get("/card/:id", (c) => withContext(c, (d, context) => cardPageView(d, context), { post: false }));

cardPageRoutes.post("/card/:id", (c) =>
  withContext(
    c,
    async (d, context, form) => {
      if (!(await withinLimit(c.env.CARD_RATE_LIMITER, `card:${clientAddress(c) ?? "unknown"}`))) {
        await d.audit("card.rate_limited", "failure", { target: context.attempt.externalId });
        return { kind: "outcome", context, state: "rate-limited" } satisfies CardView;
      }
      const text = (name: string) => form[name] ?? "";
      return submitCard(d, context, {
        cardNumber: text("cardNumber"),
        expiryMonth: text("expiryMonth"),
        expiryYear: text("expiryYear"),
        cardholderName: text("cardholderName"),
        securityCode: text("securityCode"),
      });
    },
    { post: true },
  ),
);

cardPageRoutes.post("/card/:id/cancel", (c) => withContext(c, (d, context) => cancelPayment(d, context), { post: true }));

cardPageRoutes.get("/card/:id/return", (c) => withContext(c, (d, context) => returnToService(d, context), { post: false }));

/** JSON for the waiting page's script: is the outcome known yet? */
cardPageRoutes.get("/card/:id/status", async (c) => {
  const d = deps(c);
  const loaded = await loadContext(d, c.req.param("id"), getCookie(c, SESSION_COOKIE));
  if (!("attempt" in loaded)) return c.json({ error: "not_found", message: "No such payment session" }, 404);
  return c.json({ done: await outcomeKnown(d, loaded) });
});
