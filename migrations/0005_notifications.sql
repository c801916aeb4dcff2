-- Partner notifications (issue 14): signed webhooks (Standard Webhooks 1.0) through Cloudflare Queues.

-- One optional endpoint per partner. The signing secret must be recoverable to sign, so it is
-- AES-GCM encrypted like the MD5 API keys. During a rotation the previous secret also signs until
-- previous_valid_until. A 410 Gone from the endpoint disables it (status DISABLED, with the reason).
CREATE TABLE partner_webhooks (
  pbc_ref_number TEXT PRIMARY KEY REFERENCES partners (pbc_ref_number),
  url TEXT NOT NULL,
  -- JSON array of the event types the partner wants
  events TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISABLED')),
  disabled_reason TEXT,
  secret_ciphertext TEXT NOT NULL,
  previous_secret_ciphertext TEXT,
  previous_valid_until TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- The outbox: one row per event and endpoint, written in the same D1 batch as the state change it
-- reports, so an event survives a failed queue send (the 5-minute sweep sends it again).
-- event_key names the event's subject (e.g. payment.approved:txn:42): the same event is never
-- written twice. The body is fixed at the first delivery attempt, so every retry sends the same bytes.
CREATE TABLE webhook_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL UNIQUE,
  event_key TEXT NOT NULL UNIQUE,
  pbc_ref_number TEXT NOT NULL REFERENCES partners (pbc_ref_number),
  event_type TEXT NOT NULL,
  transaction_id INTEGER,
  refund_id INTEGER,
  occurred_at TEXT NOT NULL,
  payload TEXT,
  status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'DEAD', 'CANCELLED')),
  attempts INTEGER NOT NULL DEFAULT 0,
  -- the queue message that currently carries this row; a re-send by the sweep makes older ones void
  generation INTEGER NOT NULL DEFAULT 0,
  enqueued_at TEXT,
  next_attempt_at TEXT,
  -- a consumer delivering right now (a duplicate message waits or is dropped)
  claimed_until TEXT,
  last_status_code INTEGER,
  last_error TEXT,
  delivered_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhook_outbox_sweep ON webhook_outbox (status, next_attempt_at);
CREATE INDEX webhook_outbox_partner ON webhook_outbox (pbc_ref_number, id);

-- The delivery log: every HTTP attempt, for support (`npm run support -- webhooks`).
CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  outbox_id INTEGER NOT NULL REFERENCES webhook_outbox (id),
  attempt_number INTEGER NOT NULL,
  url TEXT NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  retry_after_seconds INTEGER,
  attempted_at TEXT NOT NULL
);
CREATE INDEX webhook_attempts_outbox ON webhook_attempts (outbox_id, id);

-- Reconciliation search (GET {base}/paybc/payments): a partner's payments in keyset order, by
-- transaction date or by the Pacific date they were paid.
CREATE INDEX transactions_partner_trn_date ON transactions (pbc_ref_number, trn_date, id);
CREATE INDEX transactions_partner_paid_date ON transactions (pbc_ref_number, gl_business_date, id);

-- The successor to MD5 for direct sale request and response signing, opt-in per partner and never
-- chosen by the request: hashValue = hex HMAC-SHA256(apiKey, the same bytes MD5 covers).
ALTER TABLE partners ADD COLUMN signing_algorithm TEXT NOT NULL DEFAULT 'MD5' CHECK (signing_algorithm IN ('MD5', 'HMAC-SHA256'));
