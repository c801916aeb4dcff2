import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { benchEnv, setD1BenchMode } from "../src/db/roundTrips.ts";
import worker from "../src/index.ts";
import { BASE } from "./helpers/portal.ts";

// The bench's D1 round-trip counter and replay (src/db/roundTrips.ts) must not exist outside `npm run bench`.
describe("bench hooks", () => {
  it("are not served unless BENCH=true", async () => {
    expect((await exports.default.fetch(`${BASE}/__bench/d1`)).status).toBe(404);
    const post = await exports.default.fetch(`${BASE}/__bench/d1?mode=count`, { method: "POST" });
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
    expect((await call("/__bench/d1?mode=count", "POST")).status).toBe(200);
    await (await call("/readyz")).text();
    const counted = (await (await call("/__bench/d1")).json()) as { roundTrips: number; statements: Array<{ sql: string }> };
    expect(counted.roundTrips).toBeGreaterThan(0);
    expect(counted.statements.length).toBeGreaterThan(0);
    await call("/__bench/d1?mode=off", "POST");
    await (await call("/readyz")).text();
    const after = (await (await call("/__bench/d1")).json()) as { roundTrips: number };
    expect(after.roundTrips).toBe(0);
    const wrong = await call("/__bench/d1?mode=fast", "POST");
    expect(wrong.status).toBe(400);
  });

  it("replay answers each kind of D1 call with its first answer, so later calls never reach D1", async () => {
    const count = "SELECT count(*) AS n FROM partners";
    const before = await env.DB.prepare(count).first<{ n: number }>();
    setD1BenchMode("replay");
    try {
      const replaying = benchEnv(env);
      expect(replaying).not.toBe(env);
      expect(await replaying.DB.prepare(count).first<{ n: number }>()).toEqual(before);
      const [batchBefore] = await replaying.DB.batch([replaying.DB.prepare(count)]);
      await env.DB.prepare(
        "INSERT INTO partners (pbc_ref_number, name, created_at, updated_at) VALUES ('99001', 'Replay check', '2026-12-02', '2026-12-02')",
      ).run();
      const real = await env.DB.prepare(count).first<{ n: number }>();
      expect(real?.n).toBe((before?.n ?? 0) + 1);
      // Answered from the recording: the new partner is not seen, through a statement or a batch.
      expect(await replaying.DB.prepare(count).first<{ n: number }>()).toEqual(before);
      const [batchAfter] = await replaying.DB.batch([replaying.DB.prepare(count)]);
      expect(batchAfter?.results).toEqual(batchBefore?.results);
      // A call that failed is not recorded: it fails again rather than answering.
      await expect(replaying.DB.prepare("SELECT * FROM no_such_table").all()).rejects.toThrow();
      await expect(replaying.DB.prepare("SELECT * FROM no_such_table").all()).rejects.toThrow();
    } finally {
      setD1BenchMode("off");
    }
    expect(benchEnv(env)).toBe(env);
  });
});
