-- Refunds (issue 13). Money is integer cents; instants ISO-8601 UTC; business dates Pacific.

-- One refund of a paid payment: full or partial, asked for by the partner (PayBC refund service or
-- the REST resource) or by support staff. PENDING while the processor is being asked; APPROVED or
-- DECLINED by its answer; UNKNOWN when the answer was lost (resolved by looking the refund's order
-- number up, in the request or in the sweep). A PENDING, UNKNOWN or APPROVED refund holds its amount:
-- the availability checks count it, so no number of simultaneous requests refunds more than was paid.
CREATE TABLE refunds (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  external_id TEXT NOT NULL UNIQUE,
  transaction_id INTEGER NOT NULL REFERENCES transactions (id),
  pbc_ref_number TEXT NOT NULL,
  pbc_txn_number TEXT NOT NULL,
  -- our order number at the processor for this refund (its duplicate guard and lookup key)
  order_number TEXT NOT NULL UNIQUE,
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'DECLINED', 'UNKNOWN')),
  -- how the processor reversed the purchase: a same-day void or a return
  method TEXT CHECK (method IN ('return', 'void')),
  processor_refund_id TEXT,
  processor_message TEXT,
  channel TEXT NOT NULL CHECK (channel IN ('paybc', 'api', 'support')),
  -- 'client:<oauth client id>' or 'staff:<operator>'
  requested_by TEXT NOT NULL,
  reason TEXT,
  -- SHA-256 of what was asked (payment, amount, lines): the PayBC service's duplicate check
  request_fingerprint TEXT NOT NULL,
  -- REST Idempotency-Key: the first response is kept and replayed for the same key and body
  idempotency_key TEXT,
  response_status INTEGER,
  response_body TEXT,
  -- set when approved: the refund's Pacific business date and the GL date it is posted with
  business_date TEXT,
  gl_date TEXT,
  gl_after_cutoff INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  settled_at TEXT,
  UNIQUE (pbc_ref_number, idempotency_key)
);
CREATE INDEX refunds_transaction ON refunds (transaction_id, id);
CREATE INDEX refunds_unsettled ON refunds (status, updated_at);

-- The refund per revenue line (txn_refund_distribution_id = id). gl_status: NEW (refunded by the
-- processor, not posted), INPRG (in a reversal journal sent to the ledger), CMPLT (the ledger's
-- feedback accepted it), RJCT (the ledger rejected it, with its message).
CREATE TABLE refund_lines (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  refund_id INTEGER NOT NULL REFERENCES refunds (id),
  transaction_id INTEGER NOT NULL,
  line_number INTEGER NOT NULL,
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  -- the revenue account reversed, copied from the revenue line when the reversal is claimed
  revenue_account TEXT,
  gl_status TEXT NOT NULL DEFAULT 'NEW' CHECK (gl_status IN ('NEW', 'INPRG', 'CMPLT', 'RJCT')),
  gl_error_message TEXT,
  -- the ledger's return code of an RJCT line
  gl_error_code TEXT,
  journal_batch_id INTEGER,
  -- the ledger feeder file (ledger_feeder_files, journal_kind 'refund') the line went out in
  feeder_file_id INTEGER,
  UNIQUE (refund_id, line_number)
);
CREATE INDEX refund_lines_line ON refund_lines (transaction_id, line_number);
CREATE INDEX refund_lines_gl ON refund_lines (gl_status, journal_batch_id);
CREATE INDEX refund_lines_batch ON refund_lines (journal_batch_id, id);
CREATE INDEX refund_lines_feeder ON refund_lines (feeder_file_id, revenue_account);

-- A journal batch posts either revenue (payments) or reversals (refunds), never both.
ALTER TABLE journal_batches ADD COLUMN kind TEXT NOT NULL DEFAULT 'revenue' CHECK (kind IN ('revenue', 'refund'));
