/** One request through the Worker with a counting D1 binding (test/helpers/d1RoundTrips.ts). */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index.ts";
import { countingD1, type D1RoundTripCounter } from "./d1RoundTrips.ts";

/**
 * One request through the Worker with a counting `DB` binding; waits for work the request left
 * running (`waitUntil`), so round trips after the response count too. Pass the same counter to
 * several requests to see an isolate's per-binding caches warm (it is reset before each request).
 */
export async function fetchCountingD1(
  request: Request,
  roundTrips = countingD1(env.DB),
): Promise<{ response: Response; roundTrips: D1RoundTripCounter }> {
  roundTrips.reset();
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(request), { ...env, DB: roundTrips.db }, ctx);
  await waitOnExecutionContext(ctx);
  return { response, roundTrips };
}
