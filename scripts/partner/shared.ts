/** What the partner commands share: their context, common options, value checks and rendering. */

import { readFileSync } from "node:fs";
import type { Db } from "../../src/db/client.ts";
import { isValidRevenueAccount } from "../../src/domain/revenue.ts";
import { ROTATION_GRACE_HOURS, type showPartner } from "../../src/services/onboarding.ts";
import { type CommandSpec, type OptionSpec, type Output, str, UsageError, userPath, type Values } from "../lib/cli.ts";

export const PROGRAM = "npm run partner --";
/** The npm script: relative paths are where `npm run partner` was typed. */
export const NPM_SCRIPT = "partner";
export const MAX_GRACE_HOURS = 720;
export const STORE_NOW = "Store these now: they cannot be shown again.";

export interface Context {
  db: Db;
  /** Only for the commands that set API keys (needsKey). */
  encryptionKey: string;
  now: Date;
  /** The Worker environment the database belongs to ("local" allows http webhooks to loopback). */
  environment: string;
}

export interface PartnerCommand extends CommandSpec {
  /** Sets API keys: needs API_KEY_ENCRYPTION_KEY. */
  needsKey?: boolean;
  run: (ctx: Context, values: Values) => Promise<Output>;
}

// ---------------------------------------------------------------- options

export const REF: OptionSpec = { type: "string", value: "N", help: "the partner's PayBC reference number (pbcRefNumber)" };
export const KEY_STYLE: OptionSpec = { type: "string", value: "lower|camel", help: "payment query key style (default lower)" };
export const GL_POSTING: OptionSpec = {
  type: "string",
  value: "on|off",
  help: "post revenue to the GL (default off; needs a cash account)",
};
export const CASH_ACCOUNT: OptionSpec = {
  type: "string",
  value: "ACCOUNT",
  help: "cash (clearing) account for GL posting, XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX",
};
export const GRACE: OptionSpec = {
  type: "string",
  value: "HOURS",
  help: `how long the previous secret stays valid (default ${ROTATION_GRACE_HOURS}, 0 to revoke it at once, at most ${MAX_GRACE_HOURS})`,
};
export const ON_DECLINE: OptionSpec = {
  type: "string",
  value: "retry|return",
  help: "after a decline: retry in place (default for new partners) or return to the partner at once",
};
export const SECRETS_NOTE = ["Secrets are printed once: store them at once."];

// ---------------------------------------------------------------- value checks

export function ref(values: Values): string {
  const value = (str(values, "ref") ?? "").trim();
  if (!/^[1-9]\d{0,7}$/.test(value))
    throw new UsageError(`--ref must be a number from 1 to 99999999 without leading zeros, not "${value}"`);
  return value;
}

export function keyStyle(values: Values): "lower" | "camel" | undefined {
  const value = str(values, "key-style");
  if (value === undefined) return undefined;
  if (value !== "lower" && value !== "camel") throw new UsageError(`--key-style must be lower or camel, not "${value}"`);
  return value;
}

export function onOff(values: Values, name: string): boolean | undefined {
  const value = str(values, name);
  if (value === undefined) return undefined;
  if (value !== "on" && value !== "off") throw new UsageError(`--${name} must be on or off, not "${value}"`);
  return value === "on";
}

export function onDecline(values: Values): "retry" | "return" | undefined {
  const value = str(values, "on-decline");
  if (value === undefined) return undefined;
  if (value !== "retry" && value !== "return") throw new UsageError(`--on-decline must be retry or return, not "${value}"`);
  return value;
}

export function graceHours(values: Values): number {
  const value = str(values, "grace-hours");
  if (value === undefined) return ROTATION_GRACE_HOURS;
  const hours = Number(value);
  if (value.trim() === "" || !Number.isFinite(hours) || hours < 0 || hours > MAX_GRACE_HOURS) {
    throw new UsageError(`--grace-hours must be a number of hours from 0 to ${MAX_GRACE_HOURS}, not "${value}"`);
  }
  return hours;
}

export function accountStatus(values: Values): "OPEN" | "CLOSED" {
  const value = (str(values, "status") ?? "OPEN").toUpperCase();
  if (value !== "OPEN" && value !== "CLOSED")
    throw new UsageError(`--status must be OPEN or CLOSED, not "${str(values, "status")}"`);
  return value;
}

export function readAccounts(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(userPath(NPM_SCRIPT, file), "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const accounts: string[] = [];
  const problems: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    if (isValidRevenueAccount(line)) accounts.push(line);
    else problems.push(`${file} line ${index + 1}: not in XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX format: ${line}`);
  }
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  if (accounts.length === 0)
    throw new UsageError(`${file} lists no accounts (one a line; # comments and blank lines are ignored)`);
  return [...new Set(accounts)];
}

// ---------------------------------------------------------------- rendering

type PartnerView = Awaited<ReturnType<typeof showPartner>>;

export function partnerText(partner: PartnerView): string {
  const lines = [
    `Partner ${partner.pbcRefNumber}: ${partner.name}`,
    `  status:            ${partner.status}`,
    `  key style:         ${partner.keyStyle}`,
    `  GL posting:        ${partner.glPosting ? "on" : "off"}`,
    `  cash account:      ${partner.cashAccount ?? "(none)"}`,
    `  signing:           ${partner.signingAlgorithm}`,
    `  after a decline:   ${partner.onDecline === "retry" ? "retry in place" : "return to the partner at once"}`,
    `  French name:       ${partner.nameFr ?? "(none: the name is shown)"}`,
    `  contact email:     ${partner.contactEmail ?? "(none)"}`,
    `  contact phone:     ${partner.contactPhone ?? "(none)"}`,
    `  contact website:   ${partner.contactUrl ?? "(none)"}`,
    `  logo:              ${partner.logoSha256 ? `sha256 ${partner.logoSha256}` : "(none)"}`,
    `  privacy notice:    ${partner.privacyNoticeEn ? "own (English)" : "default (English)"}, ${partner.privacyNoticeFr ? "own (French)" : "default (French)"}`,
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
