/**
 * Queue consumers, dispatched by queue name: `paybc-receipts-<environment>` -> receipts,
 * `paybc-webhooks-<environment>` -> partner notifications. Another queue adds its own entry here. An unknown queue's messages are retried (and logged), never lost.
 */
import { configurationProblems, readConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { createEmailSender } from "../email/index.ts";
import { createLogger, type Logger } from "../lib/logger.ts";
import { handleReceiptBatch } from "../services/receipts.ts";
import { runWebhookQueue } from "./webhookQueue.ts";

type QueueHandler = (batch: MessageBatch<unknown>, env: Env, log: Logger) => Promise<void>;

const HANDLERS: Array<{ prefix: string; handle: QueueHandler }> = [
  {
    prefix: "paybc-receipts",
    handle: (batch, env, log) => {
      const config = readConfig(env);
      const db = database(env.DB);
      return handleReceiptBatch({ db, config, sender: createEmailSender(config, env, db), log }, batch);
    },
  },
  // Partner notifications (services/webhookDelivery.ts); its dead-letter queue has no consumer.
  { prefix: "paybc-webhooks", handle: (batch, env) => runWebhookQueue(batch, env) },
];

export function queueHandlerFor(queueName: string): QueueHandler | undefined {
  return HANDLERS.find(({ prefix }) => queueName === prefix || queueName.startsWith(`${prefix}-`))?.handle;
}

export async function runQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const log = createLogger(`queue-${batch.queue}`);
  const problems = configurationProblems(env);
  const handle = queueHandlerFor(batch.queue);
  if (problems.length > 0 || !handle) {
    log.error(problems.length > 0 ? "configuration incomplete: messages retried later" : "no handler for this queue", {
      queue: batch.queue,
      problems,
    });
    batch.retryAll({ delaySeconds: 300 });
    return;
  }
  await handle(batch, env, log);
}
