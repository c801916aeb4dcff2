import { exports } from "cloudflare:workers";
import type { TestPartner } from "./portal.ts";
import { BASE } from "./portal.ts";

export const API = `${BASE}/ords/cas`;

export async function token(partner: Pick<TestPartner, "clientId" | "clientSecret">): Promise<string> {
  const response = await exports.default.fetch(`${API}/oauth/token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${btoa(`${partner.clientId}:${partner.clientSecret}`)}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  if (response.status !== 200) throw new Error(`token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export function getPayment(bearer: string, ref: string, txn: string, query = ""): Promise<Response> {
  return exports.default.fetch(`${API}/paybc/payment/${ref}/${encodeURIComponent(txn)}${query}`, {
    headers: { Authorization: `Bearer ${bearer}` },
  });
}

export function postRevenue(bearer: string, ref: string, txn: string, body: unknown, query = ""): Promise<Response> {
  return exports.default.fetch(`${API}/paybc/payment/${ref}/${encodeURIComponent(txn)}${query}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
