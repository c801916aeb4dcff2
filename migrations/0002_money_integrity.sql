-- Money integrity (issue 11).

-- Once a pbcTxnNumber has been requested its money is fixed: SHA-256 of the amount, currency and
-- revenue lines (domain/moneyDigest.ts). NULL only for rows written before this migration.
ALTER TABLE transactions ADD COLUMN money_digest TEXT;

-- Access tokens carry the secret generation they were issued under: rotating the secret without a
-- grace period revokes every token at once. The previous generation is honoured while its secret is.
ALTER TABLE oauth_clients ADD COLUMN secret_generation INTEGER NOT NULL DEFAULT 1;

-- Finance fallback sign-in (where Cloudflare Access is not in front): random server-side sessions,
-- stored hashed, short-lived and revocable by signing out.
CREATE TABLE finance_sessions (
  session_hash TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  source_ip TEXT
);
CREATE INDEX finance_sessions_expiry ON finance_sessions (expires_at);

-- The sandbox processor's own record of what it did, as a real processor's transaction report
-- would show it: the reconciliation check compares D1 and the ledger with it. Written only by
-- processor/sandbox.ts; never used with a real processor.
CREATE TABLE sandbox_ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('purchase', 'return', 'void')),
  order_number TEXT NOT NULL,
  processor_txn_id TEXT NOT NULL,
  original_txn_id TEXT,
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  -- brand code and last four digits, as a processor's report shows them (never more of the card)
  card_type TEXT,
  last_four TEXT,
  approved INTEGER NOT NULL CHECK (approved IN (0, 1)),
  message TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX sandbox_ledger_order ON sandbox_ledger (order_number);
CREATE INDEX sandbox_ledger_txn ON sandbox_ledger (processor_txn_id);
