/**
 * The partner web service's OpenAPI document, as the running Worker serves it, validated against
 * the official OpenAPI 3.1 JSON Schema by an independent validator.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, removeTempDirs, startWorker, tempDir } from "./helpers.ts";

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
    ]);

    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // Every $ref points at something that exists.
    expect(() => validator.resolveRefs()).not.toThrow();
  });
});
