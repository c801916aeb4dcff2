/**
 * `npm run partner -- <command> [options]`: partner onboarding. Works on the local D1 database
 * that `npm start` uses (migrated first when needed), another local state directory with
 * --persist-to, or the deployed database with --remote --env staging|production.
 *
 * Exit codes: 0 done, 2 the request was refused (bad input, unknown partner...), 1 unexpected failure.
 * Secrets (API key, OAuth client secret) are printed once, by create and the rotate commands.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Db } from "../src/db/client.ts";
import { database } from "../src/db/client.ts";
import { hasApiKey, validApiKeys } from "../src/db/partnerApiKeys.ts";
import { encryptSecret } from "../src/lib/crypto.ts";
import {
  addTarget,
  chartOfAccounts,
  configurePartner,
  createPartner,
  listPartners,
  loadChartOfAccounts,
  OnboardingError,
  ROTATION_GRACE_HOURS,
  removeChartAccount,
  removeTarget,
  rotateApiKey,
  rotateOAuthSecret,
  setPartnerStatus,
  showPartner,
} from "../src/services/onboarding.ts";
import {
  listDeliveries,
  parseEventList,
  removeWebhook,
  rotateSecret,
  setWebhook,
  testWebhook,
  WEBHOOK_ROTATION_GRACE_HOURS,
  type WebhookDeps,
} from "../src/services/webhookConfig.ts";

/** wrangler is heavy to load: only for the commands that reach a database, not for help and usage errors. */
const platform = () => import("./lib/platform.ts");

const ROOT = resolve(import.meta.dirname, "..");
/** Relative paths (--file, --persist-to) are the user's: where `npm run` was typed, else the current directory. */
const USER_CWD = process.env.npm_lifecycle_event === "partner" && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();
const PROGRAM = "npm run partner --";
const MAX_GRACE_HOURS = 720;

/** A refusal the user can act on: message on stderr, exit code 2, no stack trace. */
class UsageError extends Error {}

// ---------------------------------------------------------------- options

type OptionSpec = { type: "string" | "boolean"; multiple?: boolean; value?: string; help: string };

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  remote: { type: "boolean", help: "work on the deployed D1 database (needs --env)" },
  env: { type: "string", value: "staging|production", help: "the deployed environment (with --remote)" },
  "persist-to": { type: "string", value: "DIR", help: "local state directory, as for wrangler dev (default .wrangler/state)" },
  json: { type: "boolean", help: "machine-readable output on stdout (errors as JSON on stderr)" },
  help: { type: "boolean", help: "show help" },
};

const REF: OptionSpec = { type: "string", value: "N", help: "the partner's PayBC reference number (pbcRefNumber)" };
const KEY_STYLE: OptionSpec = { type: "string", value: "lower|camel", help: "payment query key style (default lower)" };
const GL_POSTING: OptionSpec = {
  type: "string",
  value: "on|off",
  help: "post revenue to the GL (default off; needs a cash account)",
};
const CASH_ACCOUNT: OptionSpec = {
  type: "string",
  value: "ACCOUNT",
  help: "cash (clearing) account for GL posting, XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX",
};
const GRACE: OptionSpec = {
  type: "string",
  value: "HOURS",
  help: `how long the previous secret stays valid (default ${ROTATION_GRACE_HOURS}, 0 to revoke it at once, at most ${MAX_GRACE_HOURS})`,
};

interface Context {
  db: Db;
  /** Only for the commands that set API keys (needsKey). */
  encryptionKey: string;
  now: Date;
  /** The Worker environment the database belongs to ("local" allows http webhooks to loopback). */
  environment: string;
}

interface Output {
  json: unknown;
  text: string;
}

type Values = Record<string, string | boolean | string[] | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  required: string[];
  /** Sets API keys: needs API_KEY_ENCRYPTION_KEY. */
  needsKey?: boolean;
  /** Checks that need no database, before it is opened. */
  check?: (values: Values) => void;
  run: (ctx: Context, values: Values) => Promise<Output>;
}

// ---------------------------------------------------------------- value checks

function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

function ref(values: Values): string {
  const value = (str(values, "ref") ?? "").trim();
  if (!/^[1-9]\d{0,7}$/.test(value))
    throw new UsageError(`--ref must be a number from 1 to 99999999 without leading zeros, not "${value}"`);
  return value;
}

function keyStyle(values: Values): "lower" | "camel" | undefined {
  const value = str(values, "key-style");
  if (value === undefined) return undefined;
  if (value !== "lower" && value !== "camel") throw new UsageError(`--key-style must be lower or camel, not "${value}"`);
  return value;
}

function onOff(values: Values, name: string): boolean | undefined {
  const value = str(values, name);
  if (value === undefined) return undefined;
  if (value !== "on" && value !== "off") throw new UsageError(`--${name} must be on or off, not "${value}"`);
  return value === "on";
}

function graceHours(values: Values): number {
  const value = str(values, "grace-hours");
  if (value === undefined) return ROTATION_GRACE_HOURS;
  const hours = Number(value);
  if (value.trim() === "" || !Number.isFinite(hours) || hours < 0 || hours > MAX_GRACE_HOURS) {
    throw new UsageError(`--grace-hours must be a number of hours from 0 to ${MAX_GRACE_HOURS}, not "${value}"`);
  }
  return hours;
}

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
  if (!Number.isInteger(n) || n < 1 || n > 500)
    throw new UsageError(`--limit must be a whole number from 1 to 500, not "${value}"`);
  return n;
}

function signing(values: Values): "MD5" | "HMAC-SHA256" | undefined {
  const value = str(values, "signing");
  if (value === undefined) return undefined;
  const upper = value.trim().toUpperCase();
  if (upper !== "MD5" && upper !== "HMAC-SHA256") throw new UsageError(`--signing must be md5 or hmac-sha256, not "${value}"`);
  return upper;
}

function accountStatus(values: Values): "OPEN" | "CLOSED" {
  const value = (str(values, "status") ?? "OPEN").toUpperCase();
  if (value !== "OPEN" && value !== "CLOSED")
    throw new UsageError(`--status must be OPEN or CLOSED, not "${str(values, "status")}"`);
  return value;
}

function readAccounts(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(resolve(USER_CWD, file), "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const accounts = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line !== "");
  if (accounts.length === 0)
    throw new UsageError(`${file} lists no accounts (one a line; # comments and blank lines are ignored)`);
  return [...new Set(accounts)];
}

// ---------------------------------------------------------------- rendering

type PartnerView = Awaited<ReturnType<typeof showPartner>>;

function partnerText(partner: PartnerView): string {
  const lines = [
    `Partner ${partner.pbcRefNumber}: ${partner.name}`,
    `  status:            ${partner.status}`,
    `  key style:         ${partner.keyStyle}`,
    `  GL posting:        ${partner.glPosting ? "on" : "off"}`,
    `  cash account:      ${partner.cashAccount ?? "(none)"}`,
    `  signing:           ${partner.signingAlgorithm}`,
    `  created:           ${partner.createdAt}`,
    `  updated:           ${partner.updatedAt}`,
    "  redirect targets:",
    ...(partner.redirectTargets.length
      ? partner.redirectTargets.map((t) => `    ${t}`)
      : ["    (none: direct sales are refused)"]),
    "  OAuth clients:",
    ...(partner.oauthClients.length
      ? partner.oauthClients.map(
          (c) => `    ${c.clientId} (created ${c.createdAt}${c.rotatedAt ? `, secret rotated ${c.rotatedAt}` : ""})`,
        )
      : ["    (none)"]),
  ];
  return lines.join("\n");
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const STORE_NOW = "Store these now: they cannot be shown again.";

/** Fails, before anything is written, when the key cannot decrypt the API keys already stored. */
async function checkEncryptionKey(db: Db, encryptionKey: string, now: Date): Promise<void> {
  try {
    await encryptSecret(encryptionKey, "probe", "probe");
  } catch (error) {
    throw new UsageError(`API_KEY_ENCRYPTION_KEY is not usable (base64 of exactly 32 bytes): ${(error as Error).message}`);
  }
  for (const partner of await listPartners(db)) {
    try {
      // One partner's keys decrypting is enough; partners without a valid key prove nothing.
      if ((await validApiKeys(db, encryptionKey, partner.pbcRefNumber, now)).length === 0) continue;
    } catch {
      throw new UsageError(
        `API_KEY_ENCRYPTION_KEY cannot decrypt the API keys already stored (partner ${partner.pbcRefNumber}): ` +
          "it must be the same value the Worker has (wrangler secret put API_KEY_ENCRYPTION_KEY)",
      );
    }
    return;
  }
}

// ---------------------------------------------------------------- commands

const COMMANDS: Record<string, Command> = {
  create: {
    summary: "create a partner; prints its new API key and OAuth client credentials once",
    usage:
      "create --ref N --name NAME --redirect URL [--redirect URL...] [--key-style lower|camel] [--gl-posting on|off] [--cash-account ACCOUNT]",
    options: {
      ref: REF,
      name: { type: "string", value: "NAME", help: "the partner's name (1 to 100 characters)" },
      redirect: {
        type: "string",
        multiple: true,
        value: "URL",
        help: "allowed return address prefix, https://host[:port]/path (port may be *); repeatable",
      },
      "key-style": KEY_STYLE,
      "gl-posting": GL_POSTING,
      "cash-account": CASH_ACCOUNT,
    },
    required: ["ref", "name", "redirect"],
    needsKey: true,
    check: (values) => {
      ref(values);
      keyStyle(values);
      onOff(values, "gl-posting");
    },
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const exists = (await listPartners(ctx.db)).some((p) => p.pbcRefNumber === pbcRefNumber);
      if (exists) {
        const partner = await showPartner(ctx.db, pbcRefNumber);
        // A create interrupted half-way is completed by running it again; a complete partner is refused.
        if ((await hasApiKey(ctx.db, pbcRefNumber)) && partner.oauthClients.length > 0) {
          throw new UsageError(
            `partner ${pbcRefNumber} already exists (${partner.name}); use configure, add-redirect, rotate-api-key or rotate-oauth-secret to change it`,
          );
        }
      }
      const { created, credentials } = await createPartner(
        ctx.db,
        ctx.encryptionKey,
        {
          pbcRefNumber,
          name: str(values, "name") as string,
          redirectTargets: (values.redirect as string[]).map((t) => t.trim()),
          keyStyle: keyStyle(values) ?? "lower",
          glPosting: onOff(values, "gl-posting") ?? false,
          cashAccount: str(values, "cash-account")?.trim() || null,
        },
        ctx.now,
      );
      const partner = await showPartner(ctx.db, pbcRefNumber);
      const issued: Array<[string, string | null]> = [
        ["API key (MD5 signing key)", credentials.apiKey],
        ["OAuth client id", credentials.clientId],
        ["OAuth client secret", credentials.clientSecret],
      ];
      const text = [
        created
          ? `Created partner ${pbcRefNumber} (${partner.name}).`
          : `Completed partner ${pbcRefNumber}: issued what it was missing.`,
        "",
        STORE_NOW,
        table(issued.filter(([, v]) => v !== null).map(([k, v]) => [`  ${k}:`, v as string])),
        "",
        partnerText(partner),
      ].join("\n");
      return { json: { created, credentials, notice: STORE_NOW, partner }, text };
    },
  },

  list: {
    summary: "list the partners",
    usage: "list",
    options: {},
    required: [],
    async run(ctx) {
      const partners = await listPartners(ctx.db);
      const text = partners.length
        ? table([
            ["REF", "STATUS", "KEYS", "GL", "NAME"],
            ...partners.map((p) => [p.pbcRefNumber, p.status, p.keyStyle, p.glPosting ? "on" : "off", p.name]),
          ])
        : "No partners yet: npm run partner -- create --help";
      return { json: { partners }, text };
    },
  },

  show: {
    summary: "show a partner, its redirect targets and OAuth clients (never secrets)",
    usage: "show --ref N",
    options: { ref: REF },
    required: ["ref"],
    check: (values) => void ref(values),
    async run(ctx, values) {
      const partner = await showPartner(ctx.db, ref(values));
      return { json: { partner }, text: partnerText(partner) };
    },
  },

  "add-redirect": {
    summary: "allow another return address prefix",
    usage: "add-redirect --ref N --target URL",
    options: { ref: REF, target: { type: "string", value: "URL", help: "https://host[:port]/path (port may be *)" } },
    required: ["ref", "target"],
    check: (values) => void ref(values),
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const target = (str(values, "target") as string).trim();
      const added = await addTarget(ctx.db, pbcRefNumber, target, ctx.now);
      return {
        json: { pbcRefNumber, target, added },
        text: added ? `Partner ${pbcRefNumber} may now redirect to ${target}` : `Partner ${pbcRefNumber} already had ${target}`,
      };
    },
  },

  "remove-redirect": {
    summary: "stop allowing a return address prefix",
    usage: "remove-redirect --ref N --target URL",
    options: { ref: REF, target: { type: "string", value: "URL", help: "the target exactly as listed by show" } },
    required: ["ref", "target"],
    check: (values) => void ref(values),
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const target = (str(values, "target") as string).trim();
      if (!(await removeTarget(ctx.db, pbcRefNumber, target))) {
        throw new UsageError(`partner ${pbcRefNumber} has no redirect target ${target} (see show --ref ${pbcRefNumber})`);
      }
      const left = (await showPartner(ctx.db, pbcRefNumber)).redirectTargets;
      const warning = left.length === 0 ? "\nWarning: no redirect targets left, so its direct sales are refused." : "";
      return {
        json: { pbcRefNumber, target, removed: true, redirectTargets: left },
        text: `Removed ${target} from partner ${pbcRefNumber}.${warning}`,
      };
    },
  },

  "rotate-api-key": {
    summary: "issue a new MD5 API key; the previous one stays valid for the grace period",
    usage: `rotate-api-key --ref N [--grace-hours ${ROTATION_GRACE_HOURS}]`,
    options: { ref: REF, "grace-hours": GRACE },
    required: ["ref"],
    needsKey: true,
    check: (values) => {
      ref(values);
      graceHours(values);
    },
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const hours = graceHours(values);
      const { apiKey, previousValidUntil } = await rotateApiKey(ctx.db, ctx.encryptionKey, pbcRefNumber, ctx.now, hours);
      const text = [
        `New API key for partner ${pbcRefNumber}. ${STORE_NOW}`,
        `  API key (MD5 signing key): ${apiKey}`,
        `The previous key stays valid until ${previousValidUntil}.`,
      ].join("\n");
      return { json: { pbcRefNumber, apiKey, previousValidUntil, notice: STORE_NOW }, text };
    },
  },

  "rotate-oauth-secret": {
    summary: "issue a new OAuth client secret; the previous one stays valid for the grace period",
    usage: `rotate-oauth-secret --ref N [--grace-hours ${ROTATION_GRACE_HOURS}]`,
    options: { ref: REF, "grace-hours": GRACE },
    required: ["ref"],
    check: (values) => {
      ref(values);
      graceHours(values);
    },
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const result = await rotateOAuthSecret(ctx.db, pbcRefNumber, ctx.now, graceHours(values));
      const text = [
        `New OAuth client secret for partner ${pbcRefNumber}. ${STORE_NOW}`,
        `  OAuth client id:     ${result.clientId}`,
        `  OAuth client secret: ${result.clientSecret}`,
        `The previous secret stays valid until ${result.previousValidUntil}.`,
      ].join("\n");
      return { json: { pbcRefNumber, ...result, notice: STORE_NOW }, text };
    },
  },

  disable: statusCommand("DISABLED", "refuse the partner's direct sales (its data is kept)"),
  enable: statusCommand("ACTIVE", "accept the partner's direct sales again"),

  configure: {
    summary: "change a partner's name, key style, GL posting or signing algorithm",
    usage:
      "configure --ref N [--name NAME] [--key-style lower|camel] [--gl-posting on|off] [--cash-account ACCOUNT|none] [--signing md5|hmac-sha256]",
    options: {
      ref: REF,
      name: { type: "string", value: "NAME", help: "the partner's name (1 to 100 characters)" },
      "key-style": KEY_STYLE,
      "gl-posting": GL_POSTING,
      "cash-account": { ...CASH_ACCOUNT, help: `${CASH_ACCOUNT.help} (none to clear it)` },
      signing: {
        type: "string",
        value: "md5|hmac-sha256",
        help: "direct sale request and response signing: md5 (the contract's, default) or hmac-sha256 (its successor); the partner must switch at the same moment",
      },
    },
    required: ["ref"],
    check: (values) => {
      ref(values);
      keyStyle(values);
      onOff(values, "gl-posting");
      signing(values);
      if (!["name", "key-style", "gl-posting", "cash-account", "signing"].some((name) => values[name] !== undefined)) {
        throw new UsageError("configure needs at least one of --name, --key-style, --gl-posting, --cash-account, --signing");
      }
    },
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const changes: Parameters<typeof configurePartner>[2] = {};
      const name = str(values, "name");
      if (name !== undefined) changes.name = name.trim();
      const style = keyStyle(values);
      if (style !== undefined) changes.keyStyle = style;
      const gl = onOff(values, "gl-posting");
      if (gl !== undefined) changes.glPosting = gl;
      const cash = str(values, "cash-account")?.trim();
      if (cash !== undefined) changes.cashAccount = cash === "" || cash.toLowerCase() === "none" ? null : cash;
      const algorithm = signing(values);
      if (algorithm !== undefined) changes.signingAlgorithm = algorithm;
      await configurePartner(ctx.db, pbcRefNumber, changes, ctx.now);
      const partner = await showPartner(ctx.db, pbcRefNumber);
      return { json: { partner }, text: `Updated.\n${partnerText(partner)}` };
    },
  },

  accounts: {
    summary: "list a partner's chart of accounts",
    usage: "accounts --ref N",
    options: { ref: REF },
    required: ["ref"],
    check: (values) => void ref(values),
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const accounts = (await chartOfAccounts(ctx.db, pbcRefNumber)).map((a) => ({ account: a.account, status: a.status }));
      const text = accounts.length
        ? table([["ACCOUNT", "STATUS"], ...accounts.map((a) => [a.account, a.status])])
        : `Partner ${pbcRefNumber} has no chart of accounts: every well-formed revenue account is accepted.`;
      return { json: { pbcRefNumber, accounts }, text };
    },
  },

  "load-accounts": {
    summary: "add accounts to a partner's chart, or set their status (one account a line)",
    usage: "load-accounts --ref N --file accounts.txt [--status OPEN|CLOSED]",
    options: {
      ref: REF,
      file: { type: "string", value: "FILE", help: "one account a line; # comments and blank lines are ignored" },
      status: { type: "string", value: "OPEN|CLOSED", help: "status to give the listed accounts (default OPEN)" },
    },
    required: ["ref", "file"],
    check: (values) => {
      ref(values);
      accountStatus(values);
      readAccounts(str(values, "file") as string);
    },
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const status = accountStatus(values);
      const listed = readAccounts(str(values, "file") as string);
      const loaded = await loadChartOfAccounts(ctx.db, pbcRefNumber, listed, status);
      const total = (await chartOfAccounts(ctx.db, pbcRefNumber)).length;
      return {
        json: { pbcRefNumber, status, loaded, accounts: listed, total },
        text: `Loaded ${loaded} account(s) as ${status} for partner ${pbcRefNumber}; its chart has ${total} account(s).`,
      };
    },
  },

  "set-webhook": {
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
      const result = await setWebhook(
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
  },

  "rotate-webhook-secret": {
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
  },

  "remove-webhook": {
    summary: "stop notifying the partner; undelivered events are cancelled",
    usage: "remove-webhook --ref N",
    options: { ref: REF },
    required: ["ref"],
    check: (values) => void ref(values),
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      await removeWebhook(webhookDeps(ctx), pbcRefNumber);
      return { json: { pbcRefNumber, removed: true }, text: `Partner ${pbcRefNumber} is no longer notified.` };
    },
  },

  "test-webhook": {
    summary: "send a signed ping to the partner's endpoint now and show its answer",
    usage: "test-webhook --ref N",
    options: { ref: REF },
    required: ["ref"],
    needsKey: true,
    check: (values) => void ref(values),
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const { messageId, result } = await testWebhook(
        { ...webhookDeps(ctx), log: { requestId: "cli", log() {}, info() {}, warn() {}, error() {} } },
        pbcRefNumber,
      );
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
  },

  "webhook-deliveries": {
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
        ["ID", "EVENT", "STATUS", "ATTEMPTS", "NEXT RETRY", "LAST ANSWER", "CREATED"],
        ...deliveries.map((d) => [
          d.messageId,
          d.eventType,
          d.status,
          String(d.attempts),
          d.nextRetryAt ?? "-",
          d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? "-"),
          d.createdAt,
        ]),
      ];
      return {
        json: { pbcRefNumber, deliveries },
        text: deliveries.length === 0 ? `No notifications for partner ${pbcRefNumber}.` : table(rows),
      };
    },
  },

  "remove-account": {
    summary: "remove an account from a partner's chart",
    usage: "remove-account --ref N --account ACCOUNT",
    options: { ref: REF, account: { type: "string", value: "ACCOUNT", help: "the account exactly as listed by accounts" } },
    required: ["ref", "account"],
    check: (values) => void ref(values),
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      const account = (str(values, "account") as string).trim();
      if (!(await removeChartAccount(ctx.db, pbcRefNumber, account))) {
        throw new UsageError(`partner ${pbcRefNumber} has no account ${account} in its chart`);
      }
      return { json: { pbcRefNumber, account, removed: true }, text: `Removed ${account} from partner ${pbcRefNumber}'s chart.` };
    },
  },
};

function statusCommand(status: "ACTIVE" | "DISABLED", summary: string): Command {
  const name = status === "ACTIVE" ? "enable" : "disable";
  return {
    summary,
    usage: `${name} --ref N`,
    options: { ref: REF },
    required: ["ref"],
    check: (values) => void ref(values),
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      await setPartnerStatus(ctx.db, pbcRefNumber, status, ctx.now);
      return { json: { pbcRefNumber, status }, text: `Partner ${pbcRefNumber} is now ${status}.` };
    },
  };
}

// ---------------------------------------------------------------- help

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => [`  --${name}${spec.value ? ` ${spec.value}` : ""}`, spec.help]);
  return table(rows).split("\n");
}

function overallHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    "",
    "Partner onboarding for the PayBC portal. Works on the local database (the one npm start uses)",
    "unless --remote is given.",
    "",
    "Commands:",
    ...names.map((name) => `  ${name.padEnd(width)}  ${COMMANDS[name]?.summary}`),
    "",
    "Options for every command:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    "With --remote, API_KEY_ENCRYPTION_KEY (the value given to wrangler secret put) must be in the",
    "environment for create and rotate-api-key. Locally it comes from .dev.vars.",
    "Exit codes: 0 done, 2 refused (bad input, unknown partner), 1 unexpected failure.",
    `Help on a command: ${PROGRAM} <command> --help`,
  ].join("\n");
}

function commandHelp(name: string, command: Command): string {
  return [
    `Usage: ${PROGRAM} ${command.usage}`,
    "",
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
    ...(Object.keys(command.options).length ? ["", "Options:", ...optionLines(command.options)] : []),
    "",
    "Options for every command:",
    ...optionLines(GLOBAL_OPTIONS),
    ...(command.required.length ? ["", `Required: ${command.required.map((o) => `--${o}`).join(", ")}`] : []),
    ...(name === "create" || name.startsWith("rotate") ? ["", "Secrets are printed once: store them at once."] : []),
  ].join("\n");
}

// ---------------------------------------------------------------- argument parsing

interface Parsed {
  command: string | null;
  values: Values;
}

function findCommand(args: string[]): { index: number; name: string | null } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return { index: -1, name: null };
    if (!arg.startsWith("-")) return { index: i, name: arg };
    // Skip the value of a global option that takes one (--env staging).
    const option = GLOBAL_OPTIONS[arg.replace(/^--?/, "")];
    if (option?.type === "string" && !arg.includes("=")) i++;
  }
  return { index: -1, name: null };
}

function parse(args: string[]): Parsed {
  const found = findCommand(args);
  const rest = found.index === -1 ? args : [...args.slice(0, found.index), ...args.slice(found.index + 1)];
  const name = found.name === "help" ? null : found.name;
  if (found.name === "help") {
    // `help` and `help <command>`
    const target = rest.find((a) => !a.startsWith("-"));
    if (target !== undefined && !COMMANDS[target]) throw new UsageError(`unknown command "${target}" (see ${PROGRAM} --help)`);
    return { command: target ?? null, values: { help: true } };
  }
  const command = name === null ? undefined : COMMANDS[name];
  if (name !== null && !command) throw new UsageError(`unknown command "${name}" (see ${PROGRAM} --help)`);
  const options = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) };
  const parseOptions = Object.fromEntries(
    Object.entries(options).map(([key, spec]) => [key, { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) }]),
  );
  let result: ReturnType<typeof parseArgs>;
  try {
    result = parseArgs({ args: rest, options: parseOptions, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    throw new UsageError(argumentError(error as Error & { code?: string }, name));
  }
  const seen = new Set<string>();
  for (const token of result.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name) && !options[token.name]?.multiple) throw new UsageError(`--${token.name} is given more than once`);
    seen.add(token.name);
  }
  return { command: name, values: result.values as Values };
}

function argumentError(error: Error & { code?: string }, command: string | null): string {
  const where = command ? `"${command}"` : `${PROGRAM}`;
  const help = command ? `${PROGRAM} ${command} --help` : `${PROGRAM} --help`;
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? ""} for ${where} (see ${help})`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(error.message)
        ? `${option ?? "an option"} does not take a value (see ${help})`
        : /ambiguous/.test(error.message)
          ? `${option} needs a value; for one that starts with "-", write ${option}=VALUE (see ${help})`
          : `${option ?? "an option"} needs a value (see ${help})`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ""} (options need their --name; values with spaces need quotes; see ${help})`;
    default:
      return `${error.message} (see ${help})`;
  }
}

// ---------------------------------------------------------------- database

interface Target {
  remote: boolean;
  environment: string | undefined;
  persistDir: string | undefined;
}

function target(values: Values): Target {
  const remote = values.remote === true;
  const environment = str(values, "env");
  const persist = str(values, "persist-to");
  if (remote) {
    if (environment === undefined) throw new UsageError("--remote needs --env staging or --env production");
    if (environment !== "staging" && environment !== "production") {
      throw new UsageError(`--env must be staging or production, not "${environment}"`);
    }
    if (persist !== undefined) throw new UsageError("--persist-to is for the local database only, not with --remote");
  } else if (environment !== undefined) {
    throw new UsageError("--env applies only with --remote (the local database is the one npm start uses)");
  }
  if (persist !== undefined && persist.trim() === "") throw new UsageError("--persist-to needs a directory");
  const persistDir = persist === undefined ? undefined : resolve(USER_CWD, persist);
  if (persistDir !== undefined && existsSync(persistDir) && !statSync(persistDir).isDirectory()) {
    throw new UsageError(`--persist-to ${persist} is not a directory`);
  }
  return { remote, environment, persistDir };
}

async function encryptionKeyFor(where: Target): Promise<string> {
  if (where.remote) {
    const key = process.env.API_KEY_ENCRYPTION_KEY?.trim();
    if (!key) {
      throw new UsageError(
        "with --remote, export API_KEY_ENCRYPTION_KEY with the value set by `wrangler secret put API_KEY_ENCRYPTION_KEY`",
      );
    }
    return key;
  }
  const key = (await platform()).readDevVars().API_KEY_ENCRYPTION_KEY;
  if (!key) throw new UsageError("API_KEY_ENCRYPTION_KEY is missing from .dev.vars (see .dev.vars.example)");
  return key;
}

/** Migration files not yet recorded in the local database (all of them when it is new). */
async function pendingMigrations(d1: D1Database): Promise<string[]> {
  const files = readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql"));
  const table = await d1.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'd1_migrations'").first();
  if (!table) return files;
  const applied = new Set(
    (await d1.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results.map((r) => r.name),
  );
  return files.filter((file) => !applied.has(file));
}

const MIGRATIONS_PENDING = Symbol("migrations pending");

async function withDatabase<T>(where: Target, work: (db: Db) => Promise<T>): Promise<T> {
  const options = {
    remote: where.remote,
    environment: where.environment,
    persistPath: where.persistDir === undefined ? undefined : join(where.persistDir, "v3"),
  };
  const { withPlatform, wrangler } = await platform();
  for (let attempt = 0; ; attempt++) {
    const outcome = await withPlatform(options, async (env) => {
      if (!where.remote && (await pendingMigrations(env.DB)).length > 0) {
        if (attempt > 0) throw new Error("the local D1 migrations did not apply");
        return MIGRATIONS_PENDING;
      }
      return { value: await work(database(env.DB)) };
    });
    if (outcome !== MIGRATIONS_PENDING) return outcome.value;
    // Apply with the platform proxy closed: wrangler opens the same database files.
    wrangler(["d1", "migrations", "apply", "DB", "--local", ...(where.persistDir ? ["--persist-to", where.persistDir] : [])], {
      quiet: true,
    });
  }
}

// ---------------------------------------------------------------- main

function isUserError(error: unknown): error is Error {
  return error instanceof UsageError || error instanceof OnboardingError;
}

async function main(args: string[]): Promise<number> {
  let json = args.includes("--json");
  try {
    const parsed = parse(args);
    json = parsed.values.json === true;
    const command = parsed.command === null ? undefined : COMMANDS[parsed.command];
    if (parsed.values.help === true || !command) {
      const help = command && parsed.command ? commandHelp(parsed.command, command) : overallHelp();
      if (parsed.values.help === true) {
        process.stdout.write(`${help}\n`);
        return 0;
      }
      process.stderr.write(`${help}\n`);
      return 2;
    }
    for (const name of command.required) {
      const value = parsed.values[name];
      if (value === undefined || (Array.isArray(value) && value.length === 0)) {
        throw new UsageError(`missing required option --${name} (see ${PROGRAM} ${parsed.command} --help)`);
      }
      if (typeof value === "string" && value.trim() === "") throw new UsageError(`--${name} must not be empty`);
    }
    command.check?.(parsed.values);
    const where = target(parsed.values);
    // wrangler.toml, .dev.vars and migrations/ are the project's (user paths were resolved above).
    process.chdir(ROOT);
    const encryptionKey = command.needsKey ? await encryptionKeyFor(where) : "";
    // wrangler logs to stdout ("Using secrets defined in .dev.vars"): keep it to warnings (on stderr).
    if (json || !process.env.WRANGLER_LOG) process.env.WRANGLER_LOG = "warn";
    if (where.remote && !json) process.stderr.write(`Working on the deployed ${where.environment} database.\n`);
    const output = await withDatabase(where, async (db) => {
      const now = new Date();
      if (command.needsKey) await checkEncryptionKey(db, encryptionKey, now);
      return command.run(
        { db, encryptionKey, now, environment: where.remote ? (where.environment as string) : "local" },
        parsed.values,
      );
    });
    process.stdout.write(json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
    return 0;
  } catch (error) {
    const user = isUserError(error);
    const message = error instanceof Error ? error.message : String(error);
    if (json) {
      process.stderr.write(`${JSON.stringify({ error: user ? "refused" : "failed", message })}\n`);
    } else if (user) {
      process.stderr.write(`error: ${message}\n`);
    } else {
      process.stderr.write(`error: unexpected failure: ${error instanceof Error ? (error.stack ?? message) : message}\n`);
    }
    return user ? 2 : 1;
  }
}

const code = await main(process.argv.slice(2));
// Let the output reach a pipe before exiting (wrangler may leave handles open).
await new Promise<void>((done) => process.stdout.write("", () => process.stderr.write("", () => done())));
process.exit(code);
