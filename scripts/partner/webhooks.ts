/** Partner notifications: set, rotate the signing secret, remove, test and list deliveries. */
import { userInfo } from "node:os";
import {
  listDeliveries,
  parseEventList,
  removeWebhook as removeEndpoint,
  rotateSecret,
  testWebhook as sendPing,
  setWebhook as setEndpoint,
  WEBHOOK_ROTATION_GRACE_HOURS,
  type WebhookDeps,
} from "../../src/services/webhookConfig.ts";
import { str, table, UsageError, type Values } from "../lib/cli.ts";
import { type Context, GRACE, graceHours, MAX_GRACE_HOURS, type PartnerCommand, REF, ref, STORE_NOW } from "./shared.ts";

function webhookDeps(ctx: Context): WebhookDeps {
  let name = "unknown";
  try {
    name = userInfo().username;
  } catch {
    // no user database entry (some containers): the audit row still says it was the CLI
  }
  return {
    db: ctx.db,
    encryptionKey: ctx.encryptionKey,
    environment: ctx.environment,
    operator: { actor: `cli:${name}` },
    now: ctx.now,
  };
}

function limit(values: Values): number {
  const value = str(values, "limit") ?? "20";
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 500)
    throw new UsageError(`--limit must be a whole number from 1 to 500, not "${value}"`);
  return n;
}

export const setWebhook: PartnerCommand = {
  summary: "set the partner's notification endpoint; prints its new signing secret once",
  usage: "set-webhook --ref N --url URL [--events a,b]",
  options: {
    ref: REF,
    url: { type: "string", value: "URL", help: "https endpoint (http only to localhost in the local environment)" },
    events: {
      type: "string",
      value: "a,b",
      help: "event types (default all): payment.approved,payment.declined,payment.cancelled,payment.expired,payment.posted,refund.approved,refund.declined,refund.posted",
    },
  },
  required: ["ref", "url"],
  needsKey: true,
  check: (values) => {
    ref(values);
    parseEventList(str(values, "events"));
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const result = await setEndpoint(
      webhookDeps(ctx),
      pbcRefNumber,
      (str(values, "url") as string).trim(),
      parseEventList(str(values, "events")),
    );
    return {
      json: result,
      text: [
        `Partner ${pbcRefNumber} is notified at ${result.url} of: ${result.events.join(", ")}.`,
        "",
        STORE_NOW,
        `  Signing secret: ${result.secret}`,
      ].join("\n"),
    };
  },
};

export const rotateWebhookSecret: PartnerCommand = {
  summary: "issue a new webhook signing secret; the old one also signs during the grace period",
  usage: "rotate-webhook-secret --ref N [--grace-hours HOURS]",
  options: {
    ref: REF,
    "grace-hours": {
      ...GRACE,
      help: `how long the old secret also signs (default ${WEBHOOK_ROTATION_GRACE_HOURS}, 0 to stop at once, at most ${MAX_GRACE_HOURS})`,
    },
  },
  required: ["ref"],
  needsKey: true,
  check: (values) => {
    ref(values);
    graceHours(values);
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const hours = str(values, "grace-hours") === undefined ? WEBHOOK_ROTATION_GRACE_HOURS : graceHours(values);
    const { secret, previousValidUntil } = await rotateSecret(webhookDeps(ctx), pbcRefNumber, hours);
    return {
      json: { pbcRefNumber, secret, previousValidUntil },
      text: [
        `New signing secret for partner ${pbcRefNumber}; the old one also signs until ${previousValidUntil} (two signatures).`,
        "",
        STORE_NOW,
        `  Signing secret: ${secret}`,
      ].join("\n"),
    };
  },
};

export const removeWebhook: PartnerCommand = {
  summary: "stop notifying the partner; undelivered events are cancelled",
  usage: "remove-webhook --ref N",
  options: { ref: REF },
  required: ["ref"],
  check: (values) => void ref(values),
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    await removeEndpoint(webhookDeps(ctx), pbcRefNumber);
    return { json: { pbcRefNumber, removed: true }, text: `Partner ${pbcRefNumber} is no longer notified.` };
  },
};

export const testWebhook: PartnerCommand = {
  summary: "send a signed ping to the partner's endpoint now and show its answer",
  usage: "test-webhook --ref N",
  options: { ref: REF },
  required: ["ref"],
  needsKey: true,
  check: (values) => void ref(values),
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const silent = { requestId: "cli", log() {}, info() {}, warn() {}, error() {} };
    const { messageId, result } = await sendPing({ ...webhookDeps(ctx), log: silent }, pbcRefNumber);
    const answer =
      result.kind === "delivered"
        ? `delivered (HTTP ${result.statusCode})`
        : result.kind === "gone"
          ? "the endpoint answered 410 Gone: it is now disabled"
          : result.kind === "cancelled"
            ? `not sent: ${result.reason}`
            : `failed: ${result.error ?? `HTTP ${result.statusCode}`}`;
    if (result.kind !== "delivered") throw new UsageError(`ping ${messageId} ${answer}`);
    return { json: { pbcRefNumber, messageId, result }, text: `Ping ${messageId} ${answer}.` };
  },
};

export const webhookDeliveries: PartnerCommand = {
  summary: "recent notifications to the partner: status, attempts, next retry, last answer",
  usage: "webhook-deliveries --ref N [--limit N]",
  options: { ref: REF, limit: { type: "string", value: "N", help: "how many, newest first (default 20, at most 500)" } },
  required: ["ref"],
  check: (values) => {
    ref(values);
    limit(values);
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const deliveries = await listDeliveries(ctx.db, { pbcRefNumber }, limit(values));
    const rows = [
      ["ID", "EVENT", "STATUS", "ATTEMPTS", "NEXT RETRY", "LAST ANSWER", "CREATED", "BODY"],
      ...deliveries.map((d) => [
        d.messageId,
        d.eventType,
        d.status,
        String(d.attempts),
        d.nextRetryAt ?? "-",
        d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? "-"),
        d.createdAt,
        d.body.state === "kept" ? `${d.body.bytes} bytes` : d.body.state === "cleared" ? `cleared ${d.body.clearedAt}` : "-",
      ]),
    ];
    return {
      json: { pbcRefNumber, deliveries },
      text: deliveries.length === 0 ? `No notifications for partner ${pbcRefNumber}.` : table(rows),
    };
  },
};
