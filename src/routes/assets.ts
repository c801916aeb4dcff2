/** The portal's own static assets. Versioned by content hash in the script inventory. */
import { Hono } from "hono";
import { brandMark } from "../assets/brandMarks.ts";
import { cardScript } from "../assets/cardScript.generated.ts";
import { portalCss } from "../assets/portalCss.ts";
import { printScript } from "../assets/printScript.ts";
import { waitingScript } from "../assets/waitingScript.ts";
import type { AppEnv } from "../http/types.ts";

export const assetRoutes = new Hono<AppEnv>();

assetRoutes.get("/portal.css", (c) => {
  c.header("Content-Type", "text/css; charset=utf-8");
  c.header("Cache-Control", "public, max-age=300");
  return c.body(portalCss);
});

assetRoutes.get("/card.js", (c) => {
  c.header("Content-Type", "text/javascript; charset=utf-8");
  c.header("Cache-Control", "public, max-age=300");
  return c.body(cardScript);
});

assetRoutes.get("/waiting.js", (c) => {
  c.header("Content-Type", "text/javascript; charset=utf-8");
  c.header("Cache-Control", "public, max-age=300");
  return c.body(waitingScript);
});

assetRoutes.get("/print.js", (c) => {
  c.header("Content-Type", "text/javascript; charset=utf-8");
  c.header("Cache-Control", "public, max-age=300");
  return c.body(printScript);
});

/** Card brand marks (self-hosted SVG; the page gives each a text alternative). */
assetRoutes.get("/brands/:file", (c) => {
  const match = /^([a-z]+)\.svg$/.exec(c.req.param("file"));
  const brand = match ? brandMark(match[1] as string) : undefined;
  if (!brand) return c.notFound();
  c.header("Content-Type", "image/svg+xml; charset=utf-8");
  c.header("Cache-Control", "public, max-age=86400");
  return c.body(brand.svg);
});
