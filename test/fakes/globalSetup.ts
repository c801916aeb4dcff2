/**
 * Vitest global setup (runs in Node, once per run): starts the local Bambora fake and provides its
 * loopback URL to tests, which read it with `inject("bamboraUrl")` inside workerd.
 */
import type { TestProject } from "vitest/node";
import { startBamboraFake } from "./bamboraFake.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The sandbox's delayed cards take 45 s+; the fake's delay is shortened, and configurable.
  const delay = Number(process.env.BAMBORA_FAKE_DELAY_MS);
  const fake = await startBamboraFake(Number.isFinite(delay) && delay >= 0 ? { delayMs: delay } : {});
  project.provide("bamboraUrl", fake.url);
  return () => fake.close();
}
