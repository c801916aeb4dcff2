import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { configurationProblems, readConfig } from "../src/config.ts";
import worker from "../src/index.ts";
import { BASE } from "./helpers/portal.ts";

async function fetchWith(overrides: Partial<Env>, path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${BASE}${path}`), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("configuration checks", () => {
  it("the test configuration is complete", () => {
    expect(configurationProblems(env)).toEqual([]);
  });

  it("refuses to serve with a clear page while a required secret is missing", async () => {
    for (const missing of ["API_KEY_ENCRYPTION_KEY", "TOKEN_SIGNING_KEY", "FINANCE_TOKEN"] as const) {
      const response = await fetchWith({ [missing]: "" }, "/public/directsale?a=1");
      expect(response.status, missing).toBe(503);
      expect(await response.text()).toContain("Sorry, the service is unavailable");
    }
  });

  it("flags unsafe or broken settings", () => {
    expect(configurationProblems({ ...env, ENVIRONMENT: "production", PROCESSOR: "sandbox" } as Env)).toContain(
      "The sandbox processor is not allowed in production",
    );
    expect(configurationProblems({ ...env, ENVIRONMENT: "production", DEMO: "true" } as Env)).toContain(
      "DEMO must be off in production",
    );
    expect(configurationProblems({ ...env, PROCESSOR: "bambora", BAMBORA_MERCHANT_ID: "" } as Env).join()).toContain(
      "BAMBORA_MERCHANT_ID",
    );
    expect(configurationProblems({ ...env, API_KEY_ENCRYPTION_KEY: "c2hvcnQ=" } as Env).join()).toContain("32 bytes");
    expect(configurationProblems({ ...env, TOKEN_SIGNING_KEY: "short" } as Env).join()).toContain("TOKEN_SIGNING_KEY");
    expect(configurationProblems({ ...env, PROCESSOR: "paypal" } as Env).join()).toContain("PROCESSOR");
  });

  it("refuses PROCESSOR=bambora without the reporting passcode (no fallback to the payments passcode)", () => {
    const bambora = { ...env, PROCESSOR: "bambora", BAMBORA_MERCHANT_ID: "300200578", BAMBORA_API_PASSCODE: "p" } as Env;
    expect(configurationProblems(bambora)).toContain("Secret BAMBORA_REPORT_PASSCODE is not set (PROCESSOR=bambora)");
    expect(configurationProblems({ ...bambora, BAMBORA_REPORT_PASSCODE: "r" } as Env)).toEqual([]);
  });

  it("the Bambora timeout is 60 s unless set, and must stay below the stale-authorisation lookup", () => {
    expect(readConfig(env).bamboraTimeoutMs).toBe(60_000);
    expect(readConfig({ ...env, BAMBORA_TIMEOUT_MS: "75000" } as Env).bamboraTimeoutMs).toBe(75_000);
    expect(configurationProblems({ ...env, BAMBORA_TIMEOUT_MS: "300000" } as Env).join()).toContain("BAMBORA_TIMEOUT_MS");
    expect(configurationProblems({ ...env, BAMBORA_TIMEOUT_MS: "soon" } as Env).join()).toContain("BAMBORA_TIMEOUT_MS");
  });

  it("refuses a ledger configuration the feeder files cannot carry", () => {
    expect(configurationProblems({ ...env, GL_MINISTRY_PREFIX: "ABC" } as Env).join()).toContain("GL_MINISTRY_PREFIX");
    expect(configurationProblems({ ...env, GL_HOME_CLIENT_CODE: "" } as Env).join()).toContain("GL_HOME_CLIENT_CODE");
    expect(configurationProblems({ ...env, GL_SUPPLIER_NUMBER: "1234567890" } as Env).join()).toContain("GL_SUPPLIER_NUMBER");
    expect(configurationProblems({ ...env, GL_OPEN_FROM: "April" } as Env).join()).toContain("GL_OPEN_FROM");
    expect(configurationProblems({ ...env, GL_JOURNAL_LINES: "both" } as Env).join()).toContain("GL_JOURNAL_LINES");
  });

  it("the demo partner page exists only when DEMO is on", async () => {
    expect((await fetchWith({ DEMO: "true" }, "/demo")).status).toBe(200);
    expect((await fetchWith({ DEMO: "false" }, "/demo")).status).toBe(404);
  });

  it("separate host names: the API host serves only the API, the portal host refuses API paths", async () => {
    const hosts = { API_HOSTNAME: "payapi.example.ca", PORTAL_HOSTNAME: "pay.example.ca" };
    const on = async (host: string, path: string) => {
      const ctx = createExecutionContext();
      return worker.fetch(new Request(`https://${host}${path}`), { ...env, ...hosts } as Env, ctx);
    };
    expect((await on("payapi.example.ca", "/ords/cas/openapi.json")).status).toBe(200);
    expect((await on("payapi.example.ca", "/public/directsale?a=1")).status).toBe(404);
    expect((await on("pay.example.ca", "/ords/cas/openapi.json")).status).toBe(404);
    expect((await on("pay.example.ca", "/public/directsale?a=1")).status).toBe(400);
  });

  it("the API base path is configurable", async () => {
    expect((await fetchWith({ API_BASE_PATH: "/api/v1" }, "/api/v1/openapi.json")).status).toBe(200);
    expect((await fetchWith({ API_BASE_PATH: "/api/v1" }, "/ords/cas/openapi.json")).status).toBe(404);
  });
});

describe("health", () => {
  it("/healthz answers while the process is up, even half-configured", async () => {
    expect((await fetchWith({ TOKEN_SIGNING_KEY: "" }, "/healthz")).status).toBe(200);
  });

  it("/readyz checks D1, R2, migrations and secrets", async () => {
    const ready = await exports.default.fetch(`${BASE}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      checks: { d1: { ok: true }, r2: { ok: true }, migrations: { ok: true }, secrets: { ok: true } },
    });
    const broken = await fetchWith({ FINANCE_TOKEN: "" }, "/readyz");
    expect(broken.status).toBe(503);
    expect(await broken.json()).toMatchObject({ status: "not ready", checks: { secrets: { ok: false } } });
  });
});

describe("audit log and structured logs", () => {
  it("records hash failures with who, what, when, where from and outcome, and never the query string", async () => {
    const response = await exports.default.fetch(
      `${BASE}/public/directsale?pbcRefNumber=10006&trnAmount=1.00&hashValue=00000000000000000000000000000000`,
      {
        headers: { "CF-Connecting-IP": "192.0.2.44" },
      },
    );
    expect(response.status).toBe(400);
    const row = await env.DB.prepare("SELECT * FROM audit_log WHERE source_ip = '192.0.2.44' ORDER BY id DESC LIMIT 1").first<
      Record<string, string>
    >();
    expect(row).toMatchObject({ actor: "public", outcome: "failure", source_ip: "192.0.2.44" });
    expect(["directsale.hash_failed", "directsale.refused"]).toContain(row?.action);
    expect(row?.occurred_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(row?.request_id).toBeTruthy();
    expect(JSON.stringify(row)).not.toContain("hashValue");
  });

  it("every response carries the request id that its log lines carry", async () => {
    const response = await exports.default.fetch(`${BASE}/healthz`);
    expect(response.headers.get("X-Request-Id")).toMatch(/.{8,}/);
  });
});
