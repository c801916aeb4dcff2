/**
 * The production gate of /finance: Cloudflare Access. The Worker runs with Access configured; the
 * team's signing keys (a key pair made here) are served from the certs URL by a fetch mock on a
 * loopback address, so nothing leaves the machine even if the mock were bypassed.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";

const AUDIENCE = "finance-aud-test";
let teamCounter = 0;

async function accessTeam(certsStatus = 200) {
  // A new issuer per test: the Worker caches a team's keys for an hour.
  const issuer = `http://127.0.0.1:9/team-${++teamCounter}-${Date.now()}`;
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const publicJwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  const fetched: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    const url = input instanceof Request ? input.url : String(input);
    fetched.push(url);
    if (url !== `${issuer}/cdn-cgi/access/certs`) return new Response("unexpected fetch", { status: 599 });
    return Response.json(
      { keys: [{ kid: "key-1", kty: "RSA", alg: "RS256", n: publicJwk.n, e: publicJwk.e }] },
      { status: certsStatus },
    );
  });
  const b64 = (bytes: Uint8Array) =>
    btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const text = (value: unknown) => b64(new TextEncoder().encode(JSON.stringify(value)));
  const assertion = async (claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const head = text({ alg: "RS256", kid: "key-1", typ: "JWT" });
    const body = text({
      aud: [AUDIENCE],
      iss: issuer,
      iat: now,
      nbf: now,
      exp: now + 300,
      email: "finance@gov.bc.ca",
      ...claims,
    });
    const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, new TextEncoder().encode(`${head}.${body}`));
    return `${head}.${body}.${b64(new Uint8Array(signature))}`;
  };
  const call = async (headers: Record<string, string>) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("https://portal.test/finance/api/journals", { headers }),
      { ...env, CF_ACCESS_TEAM_DOMAIN: issuer, CF_ACCESS_AUD: AUDIENCE },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  };
  return { issuer, assertion, call, fetched };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("finance behind Cloudflare Access", () => {
  it("lets a valid Access assertion in, verified with the team's published keys", async () => {
    const team = await accessTeam();
    const response = await team.call({ "Cf-Access-Jwt-Assertion": await team.assertion() });
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveProperty("journals");
    expect(team.fetched).toEqual([`${team.issuer}/cdn-cgi/access/certs`]);
  });

  it("refuses no assertion, another audience, another issuer, an expired one, and the local finance token", async () => {
    const team = await accessTeam();
    const now = Math.floor(Date.now() / 1000);
    const refused: Array<Record<string, string>> = [
      {},
      { "Cf-Access-Jwt-Assertion": await team.assertion({ aud: ["another-application"] }) },
      { "Cf-Access-Jwt-Assertion": await team.assertion({ iss: "https://evil.cloudflareaccess.com" }) },
      { "Cf-Access-Jwt-Assertion": await team.assertion({ exp: now - 10 }) },
      { "Cf-Access-Jwt-Assertion": `${(await team.assertion()).slice(0, -4)}AAAA` },
      { Authorization: `Bearer ${env.FINANCE_TOKEN}` },
    ];
    for (const headers of refused) {
      const response = await team.call(headers);
      expect(response.status, JSON.stringify(headers).slice(0, 80)).toBe(401);
      expect(await response.json()).toMatchObject({ error: "unauthorized" });
    }
  });

  it("answers 503, not 401 or 500, while the team's keys cannot be fetched", async () => {
    const team = await accessTeam(500);
    const response = await team.call({ "Cf-Access-Jwt-Assertion": await team.assertion() });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "unavailable" });
  });
});
