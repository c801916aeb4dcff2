-- Ledger fidelity (issue 17): one row per feeder file sent to the ledger, ledger feedback files and
-- their outcomes, the file each revenue line went out in, and upper-case accounts.

-- One feeder file = one ledger batch = one journal. The id is the BH batch number and the digits of
-- the journal name (ministry_prefix + 8 digits), so feedback leads back here by content.
-- journal_kind + source_batch_id name what it posts: a payment journal_batches row, or (refunds) the
-- refund journal's batch; a kind is posted as GA and/or GI, each in its own file.
CREATE TABLE ledger_feeder_files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  journal_kind TEXT NOT NULL CHECK (journal_kind IN ('payment', 'refund')),
  source_batch_id INTEGER NOT NULL,
  pbc_ref_number TEXT NOT NULL,
  gl_date TEXT NOT NULL,
  effective_date TEXT NOT NULL,
  batch_type TEXT NOT NULL CHECK (batch_type IN ('GA', 'GI')),
  feeder_number TEXT NOT NULL,
  ministry_prefix TEXT NOT NULL,
  -- INBOX.F{feeder}.{UTC YYYYMMDDHHMMSS}: unique across every file ever sent (bumped by a second)
  file_name TEXT NOT NULL UNIQUE,
  -- the journal exactly as rendered (JSON), so a resumed run writes the same bytes and feedback is
  -- matched line by line against what was sent
  journal TEXT NOT NULL,
  total_cents INTEGER NOT NULL,
  line_count INTEGER NOT NULL,
  -- SENT until the ledger's feedback settles it
  status TEXT NOT NULL DEFAULT 'SENT' CHECK (status IN ('SENT', 'ACCEPTED', 'PARTIAL', 'REJECTED')),
  feedback_file_id INTEGER,
  created_at TEXT NOT NULL,
  settled_at TEXT,
  UNIQUE (journal_kind, source_batch_id, batch_type)
);
CREATE INDEX ledger_feeder_files_status ON ledger_feeder_files (status, id);

-- Every FEEDBACK.* / ACK.* file received (R2 inbox, finance upload or CLI), kept in R2 under r2_key.
-- The same bytes twice are one row (sha256), so a second delivery changes nothing.
CREATE TABLE ledger_feedback_files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  file_name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('FEEDBACK', 'ACK')),
  sha256 TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  r2_key TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('inbox', 'upload')),
  received_by TEXT NOT NULL,
  -- RECEIVED until processed (a crash leaves it RECEIVED and the next run resumes it);
  -- PROBLEMS when something in it matched nothing we sent (reported, not guessed)
  status TEXT NOT NULL DEFAULT 'RECEIVED' CHECK (status IN ('RECEIVED', 'PROCESSED', 'PROBLEMS')),
  outcome TEXT,
  received_at TEXT NOT NULL,
  processed_at TEXT
);
CREATE INDEX ledger_feedback_files_status ON ledger_feedback_files (status, id);

ALTER TABLE revenue_lines ADD COLUMN feeder_file_id INTEGER;
-- the ledger's return code of a REJECT line (NULL for rejections made before sending)
ALTER TABLE revenue_lines ADD COLUMN gl_error_code TEXT;
CREATE INDEX revenue_lines_feeder ON revenue_lines (feeder_file_id, revenue_account);

-- Accounts are upper case in the ledger: lower case is accepted on input and stored upper.
UPDATE revenue_lines SET revenue_account = upper(revenue_account) WHERE revenue_account <> upper(revenue_account);
UPDATE partners SET cash_account = upper(cash_account) WHERE cash_account <> upper(cash_account);
UPDATE OR IGNORE chart_of_accounts SET account = upper(account) WHERE account <> upper(account);
DELETE FROM chart_of_accounts WHERE account <> upper(account);
