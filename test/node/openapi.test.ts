/**
 * The partner web service's OpenAPI document, as the running Worker serves it, validated against
 * the official OpenAPI 3.1 JSON Schema by an independent validator; and a typed client generated
 * from it (openapi-typescript) that partner code type-checks against.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import openapiTS from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE, ROOT, type RunningWorker, removeTempDirs, startWorker, tempDir } from "./helpers.ts";

describe("OpenAPI document", () => {
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    worker = await startWorker(tempDir("paybc-openapi-"));
  });
  afterAll(async () => {
    await worker?.stop();
    removeTempDirs();
  });

  it("served at /ords/cas/openapi.json is a valid OpenAPI 3.1 document whose references all resolve", async () => {
    const response = await fetch(`${worker?.baseUrl}/ords/cas/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    const document = (await response.json()) as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<string, unknown>;
    };
    expect(document.openapi).toBe("3.1.0");
    expect(document.servers).toEqual([{ url: `${worker?.baseUrl}/ords/cas` }]);
    expect(Object.keys(document.paths).sort()).toEqual([
      "/oauth/token",
      "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}",
      "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}/refunds",
      "/paybc/payments",
    ]);

    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // Every $ref points at something that exists.
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it("a client generated from it with openapi-typescript type-checks partner calls, and refuses wrong ones", async () => {
    const document = (await (await fetch(`${worker?.baseUrl}/ords/cas/openapi.json`)).json()) as Record<string, unknown>;
    const dir = tempDir("paybc-client-");
    writeFileSync(join(dir, "api.d.ts"), await openapiTS(document as unknown as Parameters<typeof openapiTS>[0]));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "ES2022",
          module: "ESNext",
          moduleResolution: "Bundler",
          skipLibCheck: false,
        },
      }),
    );
    // What a partner writes against the generated types: every operation by its operationId.
    const calls = `import type { operations, paths } from "./api";
type Search = operations["searchPayments"];
export const query: NonNullable<Search["parameters"]["query"]> = { from: "2026-11-01", to: "2026-11-30", status: "PAID", limit: "50", by: "paid" };
export function pages(page: Search["responses"][200]["content"]["application/json"]): string | null {
  return "nextCursor" in page ? page.nextCursor : page.nextcursor;
}
export function lastOutcome(payment: operations["getPayment"]["responses"][200]["content"]["application/json"]): string | null {
  return "lastAttemptStatus" in payment ? payment.lastAttemptStatus : payment.lastattemptstatus;
}
export const lowerLines: operations["updateRevenue"]["requestBody"]["content"]["application/json"] = {
  revenue: [{ linenumber: "1", revenueaccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueamount: "100.00" }],
};
export function tokenError(body: operations["getAccessToken"]["responses"][401]["content"]["application/json"]): string {
  return body.error_description + body.message;
}
export type PaymentPath = paths["/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}"]["get"]["parameters"]["path"];
export const path: PaymentPath = { pbcRefNumber: "10006", pbcTxnNumber: "EZ000101" };
`;
    const tsc = (file: string) => {
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { strict: true, noEmit: true, target: "ES2022", module: "ESNext", moduleResolution: "Bundler" },
          files: ["api.d.ts", file],
        }),
      );
      return spawnSync(NODE, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], {
        encoding: "utf8",
      });
    };
    writeFileSync(join(dir, "calls.ts"), calls);
    const good = tsc("calls.ts");
    expect(good.stdout + good.stderr).toBe("");
    expect(good.status).toBe(0);
    // The same types refuse what the service would refuse.
    writeFileSync(
      join(dir, "wrong.ts"),
      `import type { operations } from "./api";
export const query: NonNullable<operations["searchPayments"]["parameters"]["query"]> = { status: "DONE" };
export const path: operations["getPayment"]["parameters"]["path"] = { pbcRefNumber: "10006" };
`,
    );
    const wrong = tsc("wrong.ts");
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toMatch(/"DONE"/);
    expect(wrong.stdout).toMatch(/pbcTxnNumber/);
  });
});
