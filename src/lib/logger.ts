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

export function createLogger(requestId: string, sink: (line: string) => void = console.log): Logger {
  const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    const line = JSON.stringify({ time: new Date().toISOString(), level, requestId, message, ...fields });
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
