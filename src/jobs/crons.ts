/**
 * The Cron Trigger schedules the Worker acts on. Must match `[triggers] crons` in wrangler.toml
 * (every environment). No imports: `npm run nightly` reads these in Node.
 */

/** Every 5 minutes: the payment sweep (expiry, unknown outcomes). */
export const SWEEP_CRON = "*/5 * * * *";
/** 09:00 UTC: the sweep, then the GL posting of every due GL date. */
export const NIGHTLY_CRON = "0 9 * * *";

/**
 * Archival (services/archive.ts) and the clearing of old partner notification bodies
 * (services/outboxRetention.ts) run in the sweep's invocations from 09:05 to 10:55 UTC: after the
 * nightly posting, outside business hours, each invocation with its own D1 query budget (the nightly
 * invocation's is the posting's).
 */
export function isArchiveWindow(cron: string, scheduledTime: number): boolean {
  const at = new Date(scheduledTime);
  const minutes = at.getUTCHours() * 60 + at.getUTCMinutes();
  return cron === SWEEP_CRON && minutes >= 9 * 60 + 5 && minutes < 11 * 60;
}
