-- Archival to R2 (issue 16, "Bound the data"): finished payments and old audit rows leave D1 as
-- write-once, monthly partitioned, gzip NDJSON objects with a manifest (services/archive.ts,
-- docs/OPERATIONS.md "Archive"). Nothing is deleted before its object is read back and verified.

-- One row per archive object: claimed first (which rows go in it), then written, verified and
-- finally its rows deleted from D1. A run that dies at any step is finished by the next run.
CREATE TABLE archive_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- Random, part of the object key: a partition gets a new object per run, never an overwrite.
  run_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('payments', 'audit')),
  -- Pacific month of the rows, 'yyyy-MM'.
  partition_month TEXT NOT NULL,
  object_key TEXT NOT NULL UNIQUE,
  manifest_key TEXT NOT NULL UNIQUE,
  -- CLAIMED: rows chosen; VERIFIED: object and manifest read back and matching; DELETED: done.
  -- ABANDONED: nothing was left to archive when the object was built (nothing written or deleted).
  status TEXT NOT NULL DEFAULT 'CLAIMED' CHECK (status IN ('CLAIMED', 'VERIFIED', 'DELETED', 'ABANDONED')),
  -- Audit runs: the id range claimed (audit rows never change, so the range and month fix the content).
  first_id INTEGER,
  last_id INTEGER,
  record_count INTEGER,
  total_cents INTEGER,
  size INTEGER,
  sha256 TEXT,
  deleted_count INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX archive_runs_status ON archive_runs (status, id);

-- One small row per archived payment: the partner query service, support and duplicate detection of
-- transaction numbers find the payment's record through it. Written when the payment is claimed
-- (state CLAIMED: the payment is still in D1, which stays authoritative), ARCHIVED once deleted.
CREATE TABLE archived_payments (
  transaction_id INTEGER PRIMARY KEY,
  pbc_ref_number TEXT NOT NULL,
  pbc_txn_number TEXT NOT NULL,
  trn_order_id TEXT,
  archive_run_id INTEGER NOT NULL REFERENCES archive_runs (id),
  -- 1-based line of the payment's record in the object (set when the object is verified).
  record_line INTEGER,
  trn_amount_cents INTEGER NOT NULL,
  payment_status TEXT NOT NULL,
  trn_date TEXT NOT NULL,
  paid_date TEXT,
  -- What the payment looked like when claimed: it is deleted only if still the same.
  fingerprint TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'CLAIMED' CHECK (state IN ('CLAIMED', 'ARCHIVED')),
  archived_at TEXT,
  -- What reconciliation compares with the processor's record (domain/reconciliation.ts TransactionFacts,
  -- JSON), taken from the archived record: an archived payment is still reconciled.
  facts TEXT
);
CREATE UNIQUE INDEX archived_payments_partner_txn ON archived_payments (pbc_ref_number, pbc_txn_number);
CREATE INDEX archived_payments_run ON archived_payments (archive_run_id, state, transaction_id);

-- Archival reads, fingerprints and deletes a payment's notifications by payment: without this, each
-- would scan the whole outbox.
CREATE INDEX webhook_outbox_transaction ON webhook_outbox (transaction_id, id);
