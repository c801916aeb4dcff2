/**
 * Vitest global setup (runs in Node, once per run): starts the local Bambora fake and provides its
 * loopback URL to tests, which read it with `inject("bamboraUrl")` inside workerd.
 */
import type { TestProject } from "vitest/node";
import { startBamboraFake } from "./bamboraFake.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fake = await startBamboraFake();
  project.provide("bamboraUrl", fake.url);
  return () => fake.close();
}
