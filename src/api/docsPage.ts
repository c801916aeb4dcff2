/**
 * /docs: the interactive explorer (Swagger UI) for the generated OpenAPI document, served entirely
 * by this Worker: Swagger UI's files come from the pinned swagger-ui-dist package as Workers
 * Static Assets (wrangler.toml [assets]), the page's own setup is a script file, so the CSP
 * allows scripts from this origin only (no CDN, no inline script). Swagger UI sets inline styles,
 * so styles alone may be inline.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../http/types.ts";

export const docsRoutes = new Hono<AppEnv>();

/** The only files of swagger-ui-dist the Worker hands out (the rest of the package is never served). */
const SWAGGER_FILES = new Set(["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]);

const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

// Reads the document's address from its own tag, so the script is the same file for every base path.
const SETUP_SCRIPT = `"use strict";
(function () {
  var url = document.currentScript.getAttribute("data-openapi-url");
  window.addEventListener("load", function () {
    window.SwaggerUIBundle({ url: url, dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
  });
})();
`;

docsRoutes.get("/", (c) => {
  c.header("Content-Security-Policy", DOCS_CSP);
  const openApiUrl = `${c.get("config").apiBasePath}/openapi.json`;
  return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>PayBC partner web service</title>
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" />
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/setup.js" data-openapi-url="${openApiUrl}"></script>
  </body>
</html>`);
});

docsRoutes.get("/setup.js", (c) => {
  c.header("Content-Type", "text/javascript; charset=utf-8");
  c.header("Cache-Control", "no-cache");
  return c.body(SETUP_SCRIPT);
});

docsRoutes.get("/assets/:file", async (c) => {
  const file = c.req.param("file");
  if (!SWAGGER_FILES.has(file)) return c.notFound();
  const asset = await c.env.ASSETS.fetch(new URL(`/${file}`, c.req.url));
  if (!asset.ok) return c.notFound();
  // A fresh response: the assets binding's headers are immutable, and the security headers come after.
  return new Response(asset.body, asset);
});
