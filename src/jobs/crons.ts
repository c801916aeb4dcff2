/**
 * The Cron Trigger schedules the Worker acts on. Must match `[triggers] crons` in wrangler.toml
 * (every environment). No imports: `npm run nightly` reads these in Node.
 */

/** Every 5 minutes: the payment sweep (expiry, unknown outcomes). */
export const SWEEP_CRON = "*/5 * * * *";
/** 09:00 UTC: the sweep, then the GL posting of every due GL date. */
export const NIGHTLY_CRON = "0 9 * * *";
