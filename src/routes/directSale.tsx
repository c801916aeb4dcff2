/** GET /public/directsale: the partner's signed entry point. */
import { Hono } from "hono";
import { clientAddress, withinLimit } from "../http/limits.ts";
import type { AppEnv } from "../http/types.ts";
import { catalogue, chooseLanguage } from "../i18n/index.ts";
import { auditRecorder } from "../services/audit.ts";
import { REQUEST_REFUSALS, startDirectSale } from "../services/directSale.ts";
import { RequestErrorPage } from "../views/pages.tsx";
import { payLinkPath } from "./cardPage.tsx";

export const directSaleRoutes = new Hono<AppEnv>();

directSaleRoutes.get("/directsale", async (c) => {
  const url = c.req.url;
  const queryAt = url.indexOf("?");
  const rawQuery = queryAt === -1 ? "" : (url.slice(queryAt + 1).split("#")[0] ?? "");
  const db = c.get("db");
  const outcome = await startDirectSale(
    {
      db,
      config: c.get("config"),
      encryptionKey: c.env.API_KEY_ENCRYPTION_KEY,
      audit: auditRecorder(db, {
        actor: "public",
        sourceIp: clientAddress(c),
        log: c.get("log"),
        // Refusals are audited; anyone can send them, so their rows are rate-limited per address.
        admit: () => withinLimit(c.env.PUBLIC_WRITE_RATE_LIMITER, `directsale:${clientAddress(c) ?? "unknown"}`),
      }),
      now: new Date(),
    },
    rawQuery,
  );
  switch (outcome.kind) {
    case "refused": {
      Object.assign(c.get("logFields"), { outcome: "refused", problems: outcome.problems });
      // The partner's `language` may be read here: it only chooses the words of this page.
      const t = catalogue(
        c.get("langChosen")
          ? c.get("lang")
          : chooseLanguage({ requested: c.req.query("language"), acceptLanguage: c.req.header("Accept-Language") }),
      );
      const requestWrong = REQUEST_REFUSALS.has(outcome.reason);
      c.status(requestWrong ? 400 : 409);
      return c.html(
        <RequestErrorPage
          t={t}
          nonce={c.get("nonce")}
          title={outcome.reason === "in-progress" ? t.request.inProgressTitle : t.request.startTitle}
          // A wrong request is refused before anything is written; a 409 concerns a payment that may be under way.
          lead={requestWrong ? t.request.noPaymentStarted : undefined}
          // The partner's technical problem is in the logs; the public gets what it means for them.
          problems={[t.request.reasons[outcome.reason]]}
          serviceProblems={requestWrong}
        />,
      );
    }
    case "validation-redirect":
      Object.assign(c.get("logFields"), { outcome: "validation errors", fields: Object.keys(outcome.errors) });
      return c.redirect(outcome.location, 303);
    case "card-page":
      Object.assign(c.get("logFields"), {
        outcome: "accepted",
        transactionId: outcome.transactionId,
        attemptId: outcome.attemptId,
      });
      return c.redirect(payLinkPath(outcome.linkToken), 303);
  }
});
