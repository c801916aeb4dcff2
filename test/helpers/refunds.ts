/** Drive refunds the way partners do: the PayBC refund service and the REST resource. */
import { exports } from "cloudflare:workers";
import { API, token } from "./api.ts";
import { BASE, openPayment, payWith, seedPartner, type TestPartner } from "./portal.ts";

export const REFUND_SERVICE = `${BASE}/paybc-service`;

/** The refund service's token, as the deployed client asks for it (GET, Basic-Token header, no body). */
export async function refundToken(partner: Pick<TestPartner, "clientId" | "clientSecret">): Promise<string> {
  const response = await exports.default.fetch(`${REFUND_SERVICE}/oauth/token/`, {
    headers: {
      "Basic-Token": `Basic ${btoa(`${partner.clientId}:${partner.clientSecret}`)}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
  });
  if (response.status !== 200) throw new Error(`refund token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** POST {refundBase}/api/refund with the Bearer-Token header and a JSON body given as text (numbers stay numbers). */
export function paybcRefund(bearer: string, body: string | Record<string, unknown>): Promise<Response> {
  return exports.default.fetch(`${REFUND_SERVICE}/api/refund`, {
    method: "POST",
    headers: { "Bearer-Token": `Bearer ${bearer}`, "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function restRefund(bearer: string, ref: string, txn: string, body: unknown, idempotencyKey?: string): Promise<Response> {
  return exports.default.fetch(`${API}/paybc/payment/${ref}/${encodeURIComponent(txn)}/refunds`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${bearer}`,
      "Content-Type": "application/json",
      ...(idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {}),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function listRefunds(bearer: string, ref: string, txn: string): Promise<Response> {
  return exports.default.fetch(`${API}/paybc/payment/${ref}/${encodeURIComponent(txn)}/refunds`, {
    headers: { Authorization: `Bearer ${bearer}` },
  });
}

export interface PaidPayment {
  partner: TestPartner;
  pbcTxnNumber: string;
  trnOrderId: string;
  bearer: string;
}

/** A partner and one approved payment of $100.00 (lines 75.00 + 25.00 unless given). */
export async function paidPayment(
  options: { keyStyle?: "lower" | "camel"; partner?: TestPartner; overrides?: Record<string, string | null> } = {},
): Promise<PaidPayment> {
  const partner = options.partner ?? (await seedPartner(options.keyStyle ? { keyStyle: options.keyStyle } : {}));
  const payment = await openPayment(partner, options.overrides ?? {});
  const paid = await payWith(payment);
  const location = paid.headers.get("Location") ?? "";
  if (!location.includes("trnApproved=1")) throw new Error(`payment not approved: ${location}`);
  const trnOrderId = new URL(location).searchParams.get("trnOrderId") as string;
  return { partner, pbcTxnNumber: payment.pbcTxnNumber, trnOrderId, bearer: await token(partner) };
}
