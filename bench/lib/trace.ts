/**
 * D1 round trips per request and the SQL each route runs, counted by the Worker itself in bench mode
 * (src/db/roundTrips.ts, switched on through /__bench/d1): requests are sent one at a time on a warm
 * isolate, the count is divided by them. Background work a request hands to waitUntil (notifications)
 * is counted too when it touches D1.
 */
import { accessToken, cardForm, clientAddress, directSalePath, newTxnNumber, PARTNER } from "./partner.ts";
import type { Portal } from "./portal.ts";

export interface RouteTrace {
  roundTrips: number;
  /** The sandbox processor's own ledger writes, per request (a real processor is an HTTPS call, not D1). */
  processorRoundTrips: number;
  statements: Array<{ sql: string; times: number }>;
}

/** The Worker's D1 wrapper (src/db/roundTrips.ts): count round trips, replay recorded answers, or off. */
export async function setD1Mode(portal: Portal, mode: "count" | "replay" | "off"): Promise<void> {
  const response = await fetch(`${portal.baseUrl}/__bench/d1?mode=${mode}`, { method: "POST" });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`POST /__bench/d1 answered ${response.status}`);
}

async function counts(
  portal: Portal,
): Promise<{ roundTrips: number; processorRoundTrips: number; statements: RouteTrace["statements"] }> {
  const response = await fetch(`${portal.baseUrl}/__bench/d1`);
  if (!response.ok) throw new Error(`GET /__bench/d1 answered ${response.status}`);
  return (await response.json()) as { roundTrips: number; processorRoundTrips: number; statements: RouteTrace["statements"] };
}

async function expect(response: Response, what: string, status: number): Promise<Response> {
  if (response.status !== status) {
    throw new Error(`${what}: status ${response.status}, expected ${status}: ${(await response.text()).slice(0, 200)}`);
  }
  return response;
}

/** `samples` requests counted after two warm ones; `send(i)` sends request i (i < 0: warm-up). */
async function trace(portal: Portal, samples: number, send: (i: number) => Promise<void>): Promise<RouteTrace> {
  await setD1Mode(portal, "count");
  await send(-2);
  await send(-1);
  await setD1Mode(portal, "count"); // resets the counts; the counted binding (and the caches keyed by it) stay warm
  for (let i = 0; i < samples; i++) await send(i);
  // What requests handed to waitUntil finishes shortly after their responses.
  await new Promise((done) => setTimeout(done, 300));
  const counted = await counts(portal);
  await setD1Mode(portal, "off");
  return {
    roundTrips: Number((counted.roundTrips / samples).toFixed(2)),
    processorRoundTrips: Number((counted.processorRoundTrips / samples).toFixed(2)),
    statements: counted.statements,
  };
}

interface Opened {
  txnNumber: string;
  payPath: string;
  cardPath?: string;
  cookie?: string;
  csrfToken?: string;
}

async function directSale(portal: Portal, redirectUri: string): Promise<Opened> {
  const txnNumber = newTxnNumber("RT");
  const response = await expect(
    await fetch(`${portal.baseUrl}${directSalePath(redirectUri, txnNumber)}`, { redirect: "manual" }),
    "direct sale",
    303,
  );
  await response.body?.cancel();
  return { txnNumber, payPath: response.headers.get("location") ?? "" };
}

async function useLink(portal: Portal, opened: Opened): Promise<void> {
  const response = await expect(await fetch(`${portal.baseUrl}${opened.payPath}`, { redirect: "manual" }), "pay link", 303);
  await response.body?.cancel();
  opened.cardPath = response.headers.get("location") ?? "";
  opened.cookie = `pbc_session=${/(?:^|,\s*)pbc_session=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")?.[1] ?? ""}`;
}

async function openCardPage(portal: Portal, opened: Opened): Promise<void> {
  const response = await expect(
    await fetch(`${portal.baseUrl}${opened.cardPath}`, { headers: { Cookie: opened.cookie ?? "" } }),
    "card page",
    200,
  );
  opened.csrfToken = /name="csrfToken" value="([^"]+)"/.exec(await response.text())?.[1] ?? "";
}

/**
 * Round trips and SQL of the routes a payment goes through: direct sale, the single-use link, the
 * card page, the card submission (approved), the partner's query and search.
 */
export async function traceRoutes(portal: Portal, samples = 20): Promise<Record<string, RouteTrace>> {
  const redirectUri = `http://127.0.0.1:${portal.port}/bench/return`;
  const traces: Record<string, RouteTrace> = {};
  const opened: Opened[] = [];
  traces.directsale = await trace(portal, samples, async (i) => {
    const sale = await directSale(portal, redirectUri);
    if (i >= -2) opened.push(sale);
  });
  traces.pay_link = await trace(portal, samples, (i) => useLink(portal, opened[i + 2] as Opened));
  traces.card_page = await trace(portal, samples, (i) => openCardPage(portal, opened[i + 2] as Opened));
  traces.card_submit = await trace(portal, samples, async (i) => {
    const payment = opened[i + 2] as Opened;
    const response = await expect(
      await fetch(`${portal.baseUrl}${payment.cardPath}`, {
        method: "POST",
        redirect: "manual",
        headers: {
          Cookie: payment.cookie ?? "",
          "Content-Type": "application/x-www-form-urlencoded",
          "CF-Connecting-IP": clientAddress(50_000 + i + 2),
        },
        body: cardForm({
          txnNumber: payment.txnNumber,
          cardPath: payment.cardPath ?? "",
          cookie: "",
          csrfToken: payment.csrfToken ?? "",
        }),
      }),
      "card submission",
      303,
    );
    await response.body?.cancel();
  });
  const token = await accessToken(portal.baseUrl);
  const auth = { Authorization: `Bearer ${token}` };
  traces.query = await trace(portal, samples, async (i) => {
    const payment = opened[(i + 2) % opened.length] as Opened;
    const response = await expect(
      await fetch(`${portal.baseUrl}/ords/cas/paybc/payment/${PARTNER.pbcRefNumber}/${payment.txnNumber}`, { headers: auth }),
      "query",
      200,
    );
    await response.body?.cancel();
  });
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  traces.search = await trace(portal, samples, async () => {
    const response = await expect(
      await fetch(`${portal.baseUrl}/ords/cas/paybc/payments?from=${monthAgo}&to=${today}&status=CMPLT&limit=100`, {
        headers: auth,
      }),
      "search",
      200,
    );
    await response.body?.cancel();
  });
  return traces;
}
