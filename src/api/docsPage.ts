/** /docs: the interactive explorer (Swagger UI) for the generated OpenAPI document. */
import { swaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";

export const docsRoutes = new Hono<AppEnv>();

docsRoutes.get("/", async (c, next) => {
  // Swagger UI comes from its CDN and runs inline setup code: this page alone gets a CSP that allows
  // them. The payment pages load no third-party script at all.
  const cdn = "https://cdn.jsdelivr.net";
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; script-src ${cdn} 'unsafe-inline'; style-src ${cdn} 'unsafe-inline'; img-src 'self' data: ${cdn}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'`,
  );
  const handler = swaggerUI({ url: `${c.get("config").apiBasePath}/openapi.json`, title: "PayBC partner web service" });
  // swaggerUI is typed for a plain Hono context.
  return handler(c as unknown as Parameters<typeof handler>[0], next);
});
