import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { BASE } from "./helpers/portal.ts";

// The bench's D1 round-trip counter (src/db/roundTrips.ts) must not exist outside `npm run bench`.
describe("bench hooks", () => {
  it("are not served unless BENCH=true", async () => {
    expect((await exports.default.fetch(`${BASE}/__bench/d1`)).status).toBe(404);
    const post = await exports.default.fetch(`${BASE}/__bench/d1?counting=on`, { method: "POST" });
    expect(post.status).toBe(404);
  });

  it("with BENCH=true, count the D1 round trips a request makes and the SQL it ran", async () => {
    const benchEnv = { ...env, BENCH: "true" } as Env;
    const call = async (path: string, method = "GET") => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(new Request(`${BASE}${path}`, { method }), benchEnv, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    };
    expect((await call("/__bench/d1?counting=on", "POST")).status).toBe(200);
    await (await call("/readyz")).text();
    const counted = (await (await call("/__bench/d1")).json()) as { roundTrips: number; statements: Array<{ sql: string }> };
    expect(counted.roundTrips).toBeGreaterThan(0);
    expect(counted.statements.length).toBeGreaterThan(0);
    await call("/__bench/d1?counting=off", "POST");
    await (await call("/readyz")).text();
    const after = (await (await call("/__bench/d1")).json()) as { roundTrips: number };
    expect(after.roundTrips).toBe(0);
  });
});
