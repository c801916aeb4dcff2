/**
 * Structured JSON logs (one object a line, for Workers Logs), each with the request id.
 * Callers pass facts, never card data or secrets; values that look like card numbers are masked
 * anyway as a last line of defence.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  requestId: string;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LONG_DIGIT_RUN = /\d[\d -]{10,}\d/g;

export function maskDigits(text: string): string {
  return text.replace(LONG_DIGIT_RUN, (run) => (run.replace(/\D/g, "").length >= 12 ? "[digits removed]" : run));
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
