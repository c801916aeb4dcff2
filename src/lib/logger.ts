/**
 * Structured JSON logs (one object a line, for Workers Logs), each with the request id.
 * Callers pass facts, never card data or secrets; values that look like card numbers are masked
 * anyway as a last line of defence.
 */

import { luhnValid } from "../domain/card.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  requestId: string;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

// 12-19 digits, possibly grouped by spaces or dashes, standing alone (not inside an id or a digest).
const CARD_LIKE = /(?<![0-9A-Za-z])\d(?:[ -]?\d){11,18}(?![0-9A-Za-z])/g;

/** Mask anything that could be a card number (passes Luhn), keeping request ids and timestamps readable. */
export function maskDigits(text: string): string {
  return text.replace(CARD_LIKE, (run) => (luhnValid(run.replace(/\D/g, "")) ? "[card number removed]" : run));
}

const MAX_FIELD_LENGTH = 1000;

/**
 * An error as a log may carry it: its name and message only. Query builders put the SQL and its
 * bound parameters (request values) in their messages; those are cut off, and long text truncated.
 */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const cause = error instanceof Error && error.cause !== undefined ? ` (cause: ${describeError(error.cause)})` : "";
  return truncate(`${text.split(/\nparams:|\n/)[0]}${cause}`);
}

function truncate(text: string): string {
  return text.length <= MAX_FIELD_LENGTH
    ? text
    : `${text.slice(0, MAX_FIELD_LENGTH)}... [${text.length - MAX_FIELD_LENGTH} more characters]`;
}

/** Errors become their description and long strings are cut, so no request body ever fills a log line. */
function safeFields(fields: Record<string, unknown>): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    safe[key] = value instanceof Error ? describeError(value) : typeof value === "string" ? truncate(value) : value;
  }
  return safe;
}

export function createLogger(requestId: string, sink: (line: string) => void = console.log): Logger {
  const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    const line = JSON.stringify({ time: new Date().toISOString(), level, requestId, message, ...safeFields(fields) });
    sink(maskDigits(line));
  };
  return {
    requestId,
    log,
    info: (message, fields) => log("info", message, fields),
    warn: (message, fields) => log("warn", message, fields),
    error: (message, fields) => log("error", message, fields),
  };
}
