/** The newest migration this code needs (checked by /readyz). Keep in step with migrations/. */
export const LATEST_MIGRATION = "0008_outbox_retention.sql";
