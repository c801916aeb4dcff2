-- Partner notification bodies are not kept for ever (issue 16, "Bound the data"; docs/SCALING.md):
-- a DELIVERED or CANCELLED notification's frozen body (`payload`, most of the outbox's bytes) is
-- cleared WEBHOOK_BODY_RETENTION_DAYS after its last change by the nightly maintenance
-- (services/outboxRetention.ts). The row and its delivery log (webhook_attempts) stay.

-- When the body was cleared: support tells "cleared" from "never rendered" (a notification
-- cancelled before its first try never had one). NULL on every existing row, so adding it
-- rewrites nothing.
ALTER TABLE webhook_outbox ADD COLUMN payload_cleared_at TEXT;

-- Exactly the rows still to clear, oldest change first. Partial, so a cleared row leaves the index
-- and each run's range search never walks the history already cleared (a plain (status,
-- updated_at) index would grow with every notification ever sent and be re-scanned every night).
-- The retention query repeats this WHERE term for term, which is what lets SQLite use it.
CREATE INDEX webhook_outbox_retention ON webhook_outbox (updated_at)
  WHERE payload IS NOT NULL AND status IN ('DELIVERED', 'CANCELLED');
