/** The portal's Hono application: shared middleware, one router per feature, one error handler. */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { docsRoutes } from "./api/docsPage.ts";
import { createPartnerApi } from "./api/index.ts";
import { createRefundService } from "./api/refundService.ts";
import { configurationProblems, readConfig } from "./config.ts";
import { database } from "./db/client.ts";
import { d1BenchMode, roundTripCounts, setD1BenchMode } from "./db/roundTrips.ts";
import { languageMiddleware } from "./http/language.ts";
import { securityHeaders } from "./http/security.ts";
import type { AppEnv } from "./http/types.ts";
import { catalogue } from "./i18n/index.ts";
import { createLogger } from "./lib/logger.ts";
import { createProcessor } from "./processor/index.ts";
import { assetRoutes } from "./routes/assets.ts";
import { cardPageRoutes, cardPath } from "./routes/cardPage.tsx";
import { cspReportRoutes } from "./routes/cspReport.ts";
import { demoRoutes } from "./routes/demo.tsx";
import { directSaleRoutes } from "./routes/directSale.tsx";
import { financeRoutes } from "./routes/finance.tsx";
import { healthRoutes } from "./routes/health.ts";
import { OutcomeUncertainError } from "./services/cardPayment/index.ts";
import { createNotifier } from "./services/notifications.ts";
import { PaymentUncertainPage, RequestErrorPage, UnavailablePage } from "./views/pages.tsx";

// The environment object lives as long as the isolate: check and parse it once, not per request.
const settings = new WeakMap<Env, { problems: string[]; config: ReturnType<typeof readConfig> }>();
function settingsOf(env: Env) {
  let found = settings.get(env);
  if (!found) {
    found = { problems: configurationProblems(env), config: readConfig(env) };
    settings.set(env, found);
  }
  return found;
}

/** Built per base path (a deployment setting), so the partner API can live under any prefix. */
export function createApp(apiBasePath = "/ords/cas", refundBasePath = "/paybc-service") {
  const app = new Hono<AppEnv>();
  const isApiPath = (path: string) =>
    path === apiBasePath ||
    path.startsWith(`${apiBasePath}/`) ||
    path === "/docs" ||
    path.startsWith("/docs/") ||
    path === refundBasePath ||
    path.startsWith(`${refundBasePath}/`);

  // The request id is Cloudflare's ray id (what Workers Logs and support tickets show), else a UUID;
  // an X-Request-Id sent by the client is not trusted (headerName "" keeps hono from reading it).
  app.use("*", requestId({ headerName: "", generator: (c) => c.req.header("CF-Ray") ?? crypto.randomUUID() }));
  app.use("*", async (c, next) => {
    const requestId = c.get("requestId");
    const log = createLogger(requestId);
    c.set("log", log);
    c.set("logFields", {});
    const started = Date.now();
    await next();
    c.header("X-Request-Id", requestId);
    log.info("request", {
      ...c.get("logFields"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Date.now() - started,
    });
  });
  app.use("*", ...securityHeaders);
  app.use("*", languageMiddleware);

  app.route("/", healthRoutes);

  // Refuse to serve anything else while half-configured.
  app.use("*", async (c, next) => {
    const { problems, config } = settingsOf(c.env);
    if (problems.length > 0) {
      c.get("log").error("configuration incomplete: refusing to serve", { problems });
      c.status(503);
      return c.html(<UnavailablePage nonce={c.get("nonce")} t={catalogue(c.get("lang"))} />);
    }
    c.set("config", config);
    c.set("db", database(c.env.DB));
    c.set("processor", createProcessor(config, c.env));
    const notify = createNotifier({ db: c.get("db"), queue: c.env.WEBHOOKS, log: c.get("log") });
    c.set("notify", notify);
    // The partner web service may have its own host name: each host then refuses the other's paths.
    const host = new URL(c.req.url).hostname;
    const path = c.req.path;
    if (config.apiHostname && host === config.apiHostname && !isApiPath(path))
      return c.json({ error: "not_found", message: "Not found" }, 404);
    if (config.portalHostname && host === config.portalHostname && isApiPath(path)) {
      return c.json(
        {
          error: "not_found",
          message: `The partner web service is served at https://${config.apiHostname || "its own host"}${apiBasePath}`,
        },
        404,
      );
    }
    await next();
    // Events this request wrote go to the queue once its batches have committed (off the response's path).
    if (notify.pending) c.executionCtx.waitUntil(notify.flush());
  });

  // The runtime's ceiling for `npm run bench`: a trivial route, only when BENCH=true.
  app.get("/__bench/baseline", (c) => (c.get("config").benchMode ? c.text("ok") : c.notFound()));
  // D1 round trips counted, or answers replayed, in this isolate (db/roundTrips.ts): POST ?mode=count|replay|off
  // switches and resets, GET reads the counts.
  app.get("/__bench/d1", (c) => (c.get("config").benchMode ? c.json(roundTripCounts()) : c.notFound()));
  app.post("/__bench/d1", (c) => {
    if (!c.get("config").benchMode) return c.notFound();
    const mode = c.req.query("mode");
    if (mode !== "count" && mode !== "replay" && mode !== "off")
      return c.json({ error: "bad_request", message: "mode must be count, replay or off" }, 400);
    setD1BenchMode(mode);
    return c.json({ mode: d1BenchMode() });
  });

  app.route(apiBasePath, createPartnerApi());
  app.route(refundBasePath, createRefundService());
  app.route("/docs", docsRoutes);

  app.route("/public/assets", assetRoutes);
  app.route("/public", directSaleRoutes);
  app.route("/public", cspReportRoutes);
  app.route("/public", cardPageRoutes);
  app.route("/demo", demoRoutes);
  app.route("/finance", financeRoutes);
  app.get("/", (c) => (c.get("config").demo ? c.redirect("/demo", 302) : c.notFound()));

  app.notFound((c) => {
    if (isApiPath(c.req.path)) return c.json({ error: "not_found", message: "Not found" }, 404);
    c.status(404);
    const t = catalogue(c.get("lang") ?? "en");
    return c.html(<RequestErrorPage nonce={c.get("nonce") ?? ""} title={t.request.pageNotFound} problems={[]} t={t} />);
  });

  app.onError((error, c) => {
    const log = c.get("log") ?? createLogger("unknown");
    if (error instanceof HTTPException) {
      const response = error.getResponse();
      if (isApiPath(c.req.path) || c.req.header("Accept")?.includes("application/json")) {
        return c.json({ error: "bad_request", message: error.message || "Bad request" }, error.status);
      }
      c.status(error.status);
      const t = catalogue(c.get("lang") ?? "en");
      return c.html(
        <RequestErrorPage nonce={c.get("nonce") ?? ""} title={error.message || t.request.badRequest} problems={[]} t={t} />,
        response.status as 400,
      );
    }
    log.error("unhandled error", { error, path: c.req.path });
    if (error instanceof OutcomeUncertainError) {
      c.status(503);
      return c.html(
        <PaymentUncertainPage
          nonce={c.get("nonce") ?? ""}
          cardPageUrl={cardPath(error.externalId)}
          t={catalogue(c.get("lang") ?? "en")}
        />,
      );
    }
    if (isApiPath(c.req.path))
      return c.json({ error: "server_error", message: "Something went wrong; nothing was changed. Try again." }, 500);
    c.status(500);
    return c.html(<UnavailablePage nonce={c.get("nonce") ?? ""} t={catalogue(c.get("lang") ?? "en")} />);
  });

  return app;
}
