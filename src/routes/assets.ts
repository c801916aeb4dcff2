/** The portal's own static assets. Versioned by content hash in the script inventory. */
import { Hono } from "hono";
import { cardScript } from "../assets/cardScript.generated.ts";
import { portalCss } from "../assets/portalCss.ts";
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
