/**
/**
 * Vitest global setup (runs in Node, once per run): starts the local Bambora and CHES fakes and a
 * partner's webhook endpoint, and provides their loopback URLs to tests, which read them inside
 * workerd with `inject("bamboraUrl")`, `inject("chesUrl")` and `inject("webhookReceiverUrl")`.
 */
import type { TestProject } from "vitest/node";
import { startBamboraFake } from "./bamboraFake.ts";
import { startChesFake } from "./chesFake.ts";
import { startWebhookReceiver } from "./webhookReceiver.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The sandbox's delayed cards take 45 s+; the fake's delay is shortened, and configurable.
  const delay = Number(process.env.BAMBORA_FAKE_DELAY_MS);
  const fake = await startBamboraFake(Number.isFinite(delay) && delay >= 0 ? { delayMs: delay } : {});
  project.provide("bamboraUrl", fake.url);
  const ches = await startChesFake();
  project.provide("chesUrl", ches.url);
  const receiver = await startWebhookReceiver();
  project.provide("webhookReceiverUrl", receiver.url);
  return async () => {
    await Promise.all([fake.close(), ches.close(), receiver.close()]);
  };
}
