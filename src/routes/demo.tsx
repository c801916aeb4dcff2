/**
 * The demo partner (DEMO=true only): builds a signed direct sale URL exactly as the deployed
 * Python client does (urlencode, then md5 over unquote_plus of it + key), and as the redirect
 * target verifies the signed response the way that client does (parse_qsl, urlencode, md5).
 */
import { Hono } from "hono";
import { listOutboxMessages } from "../db/emailOutbox.ts";
import { pacificDate } from "../domain/businessTime.ts";
import { md5Hex } from "../domain/signature.ts";
import { parseQuery, unquotePlus, urlencode } from "../domain/urlencoding.ts";
import type { AppEnv } from "../http/types.ts";
import { DemoPage, DemoResultPage, OutboxPage } from "../views/demo.tsx";

export const demoRoutes = new Hono<AppEnv>();

demoRoutes.use("*", async (c, next) => {
  if (!c.get("config").demo) return c.notFound();
  await next();
});

demoRoutes.get("/", (c) => {
  const today = pacificDate(new Date());
  return c.html(<DemoPage nonce={c.get("nonce")} today={today} txnNumber={`DEMO${Date.now().toString(36).toUpperCase()}`} />);
});

demoRoutes.get("/pay", async (c) => {
  const q = c.req.query();
  const origin = new URL(c.req.url).origin;
  const lines: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const account = (q[`account${i}`] ?? "").trim();
    const amount = (q[`amount${i}`] ?? "").trim();
    if (account !== "" || amount !== "") lines.push(`${lines.length + 1}:${account}:${amount}`);
  }
  const today = pacificDate(new Date());
  const pairs: Array<[string, string]> = [
    ["trnDate", q.trnDate || today],
    ["pbcRefNumber", c.env.DEMO_PBC_REF_NUMBER ?? "10006"],
    ["glDate", q.glDate || today],
    ["description", q.description ?? ""],
    ["trnNumber", q.trnNumber ?? ""],
    ["trnAmount", q.trnAmount ?? ""],
    ["paymentMethod", q.paymentMethod ?? "CC"],
    ["redirectUri", `${origin}/demo/return`],
    ["currency", "CAD"],
    ["revenue", lines.join("|")],
  ];
  for (const ref of ["ref1", "ref2", "ref3"]) if (q[ref]) pairs.push([ref, q[ref] as string]);
  const query = urlencode(pairs);
  const hashValue = await md5Hex(unquotePlus(query) + (c.env.DEMO_PARTNER_API_KEY ?? ""));
  return c.redirect(`/public/directsale?${query}&hashValue=${hashValue}`, 303);
});

demoRoutes.get("/return", async (c) => {
  const url = c.req.url;
  const rawQuery = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
  const params = new Map(parseQuery(rawQuery).filter(([, value]) => value !== ""));
  const received = params.get("hashValue") ?? "";
  params.delete("hashValue");
  const expected = await md5Hex(urlencode([...params.entries()]) + (c.env.DEMO_PARTNER_API_KEY ?? ""));
  return c.html(<DemoResultPage nonce={c.get("nonce")} verified={received === expected} params={[...params.entries()]} />);
});

demoRoutes.get("/outbox", async (c) => {
  if (c.get("config").emailSender !== "capture") return c.notFound();
  return c.html(<OutboxPage nonce={c.get("nonce")} messages={await listOutboxMessages(c.get("db"))} />);
});
