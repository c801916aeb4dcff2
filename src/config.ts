/** Typed settings read from the Worker environment (wrangler.toml vars and secrets). */
import {
  DEFAULT_AUDIT_RETENTION_MONTHS,
  DEFAULT_PAYMENT_RETENTION_MONTHS,
  MAX_RETENTION_MONTHS,
  MIN_AUDIT_RETENTION_MONTHS,
  MIN_PAYMENT_RETENTION_MONTHS,
} from "./domain/archive.ts";
import { DEFAULT_BODY_RETENTION_DAYS, MAX_BODY_RETENTION_DAYS, MIN_BODY_RETENTION_DAYS } from "./domain/webhookPolicy.ts";
import { base64UrlToBytes } from "./lib/encoding.ts";

export interface AppConfig {
  environment: string;
  demo: boolean;
  processor: "sandbox" | "bambora";
  paymentExpiryMinutes: number;
  maxDeclinesPerPayment: number;
  apiBasePath: string;
  /** The PayBC refund service's base path (REFUND_BASE_PATH). */
  refundBasePath: string;
  apiHostname: string;
  portalHostname: string;
  benchMode: boolean;
  /** HTTP timeout of a Bambora call (BAMBORA_TIMEOUT_MS). */
  bamboraTimeoutMs: number;
  /** Receipt emails: "ches" (BC's Common Hosted Email Service) or "capture" (local only, /demo/outbox). */
  emailSender: "ches" | "capture";
  ches: { apiUrl: string; tokenUrl: string; from: string };
}

/**
 * Bambora timeout bounds: above the gateway's own (~45 s) by default, and below the 2 minutes after
 * which an authorising attempt is presumed dead and looked up (services/cardPayment.ts).
 */
export const BAMBORA_TIMEOUT_MIN_MS = 1_000;
export const BAMBORA_TIMEOUT_MAX_MS = 100_000;
const BAMBORA_TIMEOUT_DEFAULT_MS = 60_000;

function positiveNumber(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function positiveInt(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function basePathOf(value: string | undefined, fallback: string): string {
  const path = (value || fallback).replace(/\/+$/, "");
  return path.startsWith("/") ? path : `/${path}`;
}

export function readConfig(env: Env): AppConfig {
  const basePath = (env.API_BASE_PATH || "/ords/cas").replace(/\/+$/, "");
  return {
    environment: env.ENVIRONMENT || "local",
    demo: env.DEMO === "true",
    processor: env.PROCESSOR === "bambora" ? "bambora" : "sandbox",
    // Fractions allowed (end-to-end tests use a few seconds).
    paymentExpiryMinutes: positiveNumber(env.PAYMENT_EXPIRY_MINUTES, 30),
    maxDeclinesPerPayment: positiveInt(env.MAX_DECLINES_PER_PAYMENT, 3),
    apiBasePath: basePath.startsWith("/") ? basePath : `/${basePath}`,
    refundBasePath: basePathOf(env.REFUND_BASE_PATH, "/paybc-service"),
    apiHostname: env.API_HOSTNAME ?? "",
    portalHostname: env.PORTAL_HOSTNAME ?? "",
    benchMode: (env as { BENCH?: string }).BENCH === "true",
    bamboraTimeoutMs: env.BAMBORA_TIMEOUT_MS ? Number(env.BAMBORA_TIMEOUT_MS) : BAMBORA_TIMEOUT_DEFAULT_MS,
    emailSender: env.EMAIL_SENDER === "capture" ? "capture" : "ches",
    ches: { apiUrl: env.CHES_API_URL ?? "", tokenUrl: env.CHES_TOKEN_URL ?? "", from: env.RECEIPT_FROM ?? "" },
  };
}

/**
 * Configuration problems that must stop the Worker from serving: a half-configured payment
 * portal is worse than one that is visibly down.
 */
export function configurationProblems(env: Env): string[] {
  const problems: string[] = [];
  const required = ["API_KEY_ENCRYPTION_KEY", "TOKEN_SIGNING_KEY", "FINANCE_TOKEN"] as const;
  for (const name of required) {
    if (!env[name] || String(env[name]).trim() === "") problems.push(`Secret ${name} is not set`);
  }
  if (env.API_KEY_ENCRYPTION_KEY) {
    try {
      if (base64UrlToBytes(env.API_KEY_ENCRYPTION_KEY.trim()).byteLength !== 32)
        problems.push("Secret API_KEY_ENCRYPTION_KEY must be base64 of 32 bytes");
    } catch {
      problems.push("Secret API_KEY_ENCRYPTION_KEY must be base64 of 32 bytes");
    }
  }
  if (env.TOKEN_SIGNING_KEY && env.TOKEN_SIGNING_KEY.length < 32) {
    problems.push("Secret TOKEN_SIGNING_KEY must be at least 32 characters");
  }
  if (env.PROCESSOR === "bambora") {
    if (!env.BAMBORA_MERCHANT_ID) problems.push("Secret BAMBORA_MERCHANT_ID is not set (PROCESSOR=bambora)");
    if (!env.BAMBORA_API_PASSCODE) problems.push("Secret BAMBORA_API_PASSCODE is not set (PROCESSOR=bambora)");
    // Lookups of unknown outcomes need the Reporting API's own passcode; there is no fallback.
    if (!env.BAMBORA_REPORT_PASSCODE) problems.push("Secret BAMBORA_REPORT_PASSCODE is not set (PROCESSOR=bambora)");
  } else if (env.PROCESSOR !== "sandbox") {
    problems.push(`PROCESSOR must be sandbox or bambora, not "${env.PROCESSOR}"`);
  }
  if (env.BAMBORA_TIMEOUT_MS) {
    const timeout = Number(env.BAMBORA_TIMEOUT_MS);
    if (!Number.isInteger(timeout) || timeout < BAMBORA_TIMEOUT_MIN_MS || timeout > BAMBORA_TIMEOUT_MAX_MS) {
      problems.push(`BAMBORA_TIMEOUT_MS must be whole milliseconds from ${BAMBORA_TIMEOUT_MIN_MS} to ${BAMBORA_TIMEOUT_MAX_MS}`);
    }
  }
  problems.push(...ledgerConfigurationProblems(env));
  problems.push(...archiveConfigurationProblems(env));
  problems.push(...bodyRetentionConfigurationProblems(env));
  if (env.EMAIL_SENDER === "capture") {
    // Captured messages hold real addresses in a table anyone with /demo could read.
    if (env.ENVIRONMENT !== "local") problems.push("EMAIL_SENDER=capture is for local development only");
  } else if (env.EMAIL_SENDER === "ches") {
    const secrets = env as { CHES_CLIENT_ID?: string; CHES_CLIENT_SECRET?: string };
    if (!secrets.CHES_CLIENT_ID) problems.push("Secret CHES_CLIENT_ID is not set (EMAIL_SENDER=ches)");
    if (!secrets.CHES_CLIENT_SECRET) problems.push("Secret CHES_CLIENT_SECRET is not set (EMAIL_SENDER=ches)");
    for (const name of ["CHES_API_URL", "CHES_TOKEN_URL"] as const) {
      const value = env[name] ?? "";
      if (!/^https:\/\/[^\s/]+/.test(value) && !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(value)) {
        problems.push(`${name} must be an https URL (EMAIL_SENDER=ches)`);
      }
    }
    if (!/^[^\s@<>]+@[^\s@<>]+\.[A-Za-z]{2,}$/.test(env.RECEIPT_FROM ?? "")) {
      problems.push("RECEIPT_FROM must be the address receipts are sent from (EMAIL_SENDER=ches)");
    }
  } else {
    problems.push(`EMAIL_SENDER must be ches or capture, not "${env.EMAIL_SENDER}"`);
  }
  if (env.ENVIRONMENT === "production") {
    if (env.PROCESSOR === "sandbox") problems.push("The sandbox processor is not allowed in production");
    if (env.DEMO === "true") problems.push("DEMO must be off in production");
  }
  return problems;
}

/** How the feeder file balances a journal (GL_JOURNAL_LINES); see docs/OPERATIONS.md. */
export type JournalLineStyle = "summary" | "pairs";

/** The CAS ledger feeder settings, all from wrangler.toml vars. */
export interface LedgerConfig {
  /** GL_FEEDER_NUMBER: 4 characters assigned by CAS. */
  feederNumber: string;
  /** GL_MINISTRY_PREFIX: 2 characters that start every journal and journal batch name. */
  ministryPrefix: string;
  /** GL_HOME_CLIENT_CODE: accounts of this client (first segment) go in GA files, others in GI. */
  homeClientCode: string;
  /** GL_SUPPLIER_NUMBER: up to 9 characters, blank by default. */
  supplierNumber: string;
  /** GL_OPEN_FROM: first day of the ledger's open period (yyyy-MM-dd), or null when not set. */
  openFrom: string | null;
  /** GL_JOURNAL_LINES: one summarized debit per journal, or a C/D pair per journal line. */
  lineStyle: JournalLineStyle;
}

type LedgerEnv = Partial<
  Record<
    | "GL_FEEDER_NUMBER"
    | "GL_MINISTRY_PREFIX"
    | "GL_HOME_CLIENT_CODE"
    | "GL_SUPPLIER_NUMBER"
    | "GL_OPEN_FROM"
    | "GL_JOURNAL_LINES",
    string
  >
>;

export function readLedgerConfig(env: LedgerEnv): LedgerConfig {
  return {
    feederNumber: (env.GL_FEEDER_NUMBER || "3535").trim(),
    ministryPrefix: (env.GL_MINISTRY_PREFIX ?? "").trim().toUpperCase(),
    homeClientCode: (env.GL_HOME_CLIENT_CODE ?? "").trim().toUpperCase(),
    supplierNumber: (env.GL_SUPPLIER_NUMBER ?? "").trim(),
    openFrom: env.GL_OPEN_FROM?.trim() ? env.GL_OPEN_FROM.trim() : null,
    lineStyle: env.GL_JOURNAL_LINES?.trim() === "pairs" ? "pairs" : "summary",
  };
}

/** A feeder file the ledger cannot read misposts or loses revenue: refuse to run half-configured. */
export function ledgerConfigurationProblems(env: LedgerEnv): string[] {
  const problems: string[] = [];
  const config = readLedgerConfig(env);
  if (!/^[0-9A-Z]{4}$/.test(config.feederNumber)) problems.push("GL_FEEDER_NUMBER must be 4 digits or capitals");
  if (!/^[0-9A-Z]{2}$/.test(config.ministryPrefix)) problems.push("GL_MINISTRY_PREFIX must be 2 letters or digits");
  if (!/^[0-9A-Z]{3}$/.test(config.homeClientCode)) problems.push("GL_HOME_CLIENT_CODE must be 3 letters or digits");
  if (!/^[\x20-\x7e]{0,9}$/.test(config.supplierNumber)) problems.push("GL_SUPPLIER_NUMBER must be at most 9 characters");
  if (config.openFrom !== null && !/^\d{4}-\d{2}-\d{2}$/.test(config.openFrom)) {
    problems.push("GL_OPEN_FROM must be a date in yyyy-MM-dd format, or empty");
  }
  const lines = env.GL_JOURNAL_LINES?.trim() ?? "";
  if (lines !== "" && lines !== "summary" && lines !== "pairs") problems.push("GL_JOURNAL_LINES must be summary or pairs");
  return problems;
}

type ArchiveEnv = Partial<Record<"ARCHIVE_ENABLED" | "ARCHIVE_PAYMENTS_AFTER_MONTHS" | "ARCHIVE_AUDIT_AFTER_MONTHS", string>>;

export interface ArchiveSettings {
  enabled: boolean;
  paymentsAfterMonths: number;
  auditAfterMonths: number;
}

/** Archival (services/archive.ts): on unless "false"; retention in whole months, defaults when unset. */
export function readArchiveSettings(env: ArchiveEnv): ArchiveSettings {
  const months = (text: string | undefined, fallback: number) => (text?.trim() ? Number(text.trim()) : fallback);
  return {
    enabled: env.ARCHIVE_ENABLED?.trim() !== "false",
    paymentsAfterMonths: months(env.ARCHIVE_PAYMENTS_AFTER_MONTHS, DEFAULT_PAYMENT_RETENTION_MONTHS),
    auditAfterMonths: months(env.ARCHIVE_AUDIT_AFTER_MONTHS, DEFAULT_AUDIT_RETENTION_MONTHS),
  };
}

/** A retention typed wrong would archive (and delete from D1) too early: refuse to run with it. */
export function archiveConfigurationProblems(env: ArchiveEnv): string[] {
  const problems: string[] = [];
  const enabled = env.ARCHIVE_ENABLED?.trim() ?? "";
  if (enabled !== "" && enabled !== "true" && enabled !== "false") problems.push("ARCHIVE_ENABLED must be true or false");
  const settings = readArchiveSettings(env);
  const check = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min || value > MAX_RETENTION_MONTHS)
      problems.push(`${name} must be whole months from ${min} to ${MAX_RETENTION_MONTHS}`);
  };
  check("ARCHIVE_PAYMENTS_AFTER_MONTHS", settings.paymentsAfterMonths, MIN_PAYMENT_RETENTION_MONTHS);
  check("ARCHIVE_AUDIT_AFTER_MONTHS", settings.auditAfterMonths, MIN_AUDIT_RETENTION_MONTHS);
  return problems;
}

type BodyRetentionEnv = Partial<Record<"WEBHOOK_BODY_RETENTION_DAYS", string>>;

/** Days a sent partner notification keeps its body (services/outboxRetention.ts); the default when unset. */
export function readBodyRetentionDays(env: BodyRetentionEnv): number {
  const text = env.WEBHOOK_BODY_RETENTION_DAYS?.trim();
  return text ? Number(text) : DEFAULT_BODY_RETENTION_DAYS;
}

/** A retention typed wrong would clear bodies support may still need (or never clear them): refuse to run with it. */
export function bodyRetentionConfigurationProblems(env: BodyRetentionEnv): string[] {
  const days = readBodyRetentionDays(env);
  return Number.isInteger(days) && days >= MIN_BODY_RETENTION_DAYS && days <= MAX_BODY_RETENTION_DAYS
    ? []
    : [`WEBHOOK_BODY_RETENTION_DAYS must be whole days from ${MIN_BODY_RETENTION_DAYS} to ${MAX_BODY_RETENTION_DAYS}`];
}
