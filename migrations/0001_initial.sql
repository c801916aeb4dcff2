-- Initial schema. Money is integer cents; instants are ISO-8601 UTC strings;
-- business dates (trn_date, gl_date) are yyyy-MM-dd in America/Vancouver.

CREATE TABLE partners (
  pbc_ref_number TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISABLED')),
  key_style TEXT NOT NULL DEFAULT 'lower' CHECK (key_style IN ('lower', 'camel')),
  gl_posting INTEGER NOT NULL DEFAULT 0 CHECK (gl_posting IN (0, 1)),
  cash_account TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- MD5 API keys, AES-GCM encrypted (they must be recoverable to compute MD5).
-- retired_at NULL = current key; a rotated key stays valid until valid_until.
CREATE TABLE partner_api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pbc_ref_number TEXT NOT NULL REFERENCES partners (pbc_ref_number),
  key_ciphertext TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retired_at TEXT,
  valid_until TEXT
);
CREATE INDEX partner_api_keys_partner ON partner_api_keys (pbc_ref_number, retired_at);

-- Allowed redirect targets: scheme://host[:port|:*]/path-prefix
CREATE TABLE partner_redirect_targets (
  pbc_ref_number TEXT NOT NULL REFERENCES partners (pbc_ref_number),
  target TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (pbc_ref_number, target)
);

-- OAuth2 client credentials of the partner web service; secrets stored as salted SHA-256.
CREATE TABLE oauth_clients (
  client_id TEXT PRIMARY KEY,
  pbc_ref_number TEXT NOT NULL REFERENCES partners (pbc_ref_number),
  secret_salt TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  previous_secret_salt TEXT,
  previous_secret_hash TEXT,
  previous_valid_until TEXT,
  created_at TEXT NOT NULL,
  rotated_at TEXT
);
CREATE INDEX oauth_clients_partner ON oauth_clients (pbc_ref_number);

CREATE TABLE transactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pbc_ref_number TEXT NOT NULL REFERENCES partners (pbc_ref_number),
  pbc_txn_number TEXT NOT NULL,
  trn_date TEXT NOT NULL,
  requested_gl_date TEXT NOT NULL,
  -- effective GL date: requested_gl_date until paid, then moved past the 16:00 cut-off if needed
  gl_date TEXT NOT NULL,
  gl_business_date TEXT,
  gl_after_cutoff INTEGER,
  description TEXT NOT NULL,
  trn_amount_cents INTEGER NOT NULL CHECK (trn_amount_cents > 0),
  payment_method TEXT NOT NULL CHECK (payment_method IN ('CC', 'VI')),
  currency TEXT NOT NULL CHECK (currency = 'CAD'),
  redirect_uri TEXT NOT NULL,
  ref1 TEXT NOT NULL DEFAULT '',
  ref2 TEXT NOT NULL DEFAULT '',
  ref3 TEXT NOT NULL DEFAULT '',
  payment_status TEXT NOT NULL DEFAULT 'PNDNG' CHECK (payment_status IN ('PNDNG', 'PAID', 'CMPLT')),
  trn_order_id TEXT,
  payment_auth_code TEXT,
  card_type TEXT,
  card_last_four TEXT,
  paid_at TEXT,
  -- the attempt currently talking to the processor: at most one per transaction (no double charge)
  authorising_attempt_id INTEGER,
  -- the partner API key that signed the request: responses are signed with the same key
  api_key_id INTEGER,
  decline_count INTEGER NOT NULL DEFAULT 0,
  -- set by a revenue update's guard statement so the rest of its batch runs only if the guard held
  revenue_update_token TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (pbc_ref_number, pbc_txn_number)
);
CREATE INDEX transactions_status_gl ON transactions (payment_status, gl_date);

CREATE TABLE revenue_lines (
  transaction_id INTEGER NOT NULL REFERENCES transactions (id),
  line_number INTEGER NOT NULL,
  revenue_account TEXT NOT NULL,
  revenue_amount_cents INTEGER NOT NULL CHECK (revenue_amount_cents > 0),
  gl_status TEXT NOT NULL DEFAULT 'NEW' CHECK (gl_status IN ('NEW', 'IN PROCESS', 'REJECT', 'PROCESSED')),
  gl_error_message TEXT,
  journal_batch_id INTEGER,
  PRIMARY KEY (transaction_id, line_number)
);
CREATE INDEX revenue_lines_gl ON revenue_lines (gl_status, journal_batch_id);
-- keyset pagination of a journal's detail rows
CREATE INDEX revenue_lines_batch ON revenue_lines (journal_batch_id, transaction_id, line_number);

-- One browser visit to the card page. The link token and the session cookie are stored hashed.
CREATE TABLE payment_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  external_id TEXT NOT NULL UNIQUE,
  transaction_id INTEGER NOT NULL REFERENCES transactions (id),
  attempt_number INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'CREATED' CHECK (state IN (
    'CREATED', 'OPEN', 'AUTHORISING', 'UNKNOWN', 'APPROVED', 'DECLINED', 'FAILED',
    'CANCELLED', 'EXPIRED', 'SUPERSEDED', 'LOCKED')),
  link_token_hash TEXT NOT NULL UNIQUE,
  link_used_at TEXT,
  session_hash TEXT,
  order_number TEXT NOT NULL UNIQUE,
  outcome_message TEXT,
  redirected_at TEXT,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (transaction_id, attempt_number)
);
CREATE INDEX payment_attempts_open ON payment_attempts (state, expires_at);

-- The payment lifecycle, step by step, for support to replay what happened.
CREATE TABLE payment_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  transaction_id INTEGER,
  attempt_id INTEGER,
  attempt_number INTEGER,
  pbc_ref_number TEXT,
  pbc_txn_number TEXT,
  event_type TEXT NOT NULL,
  detail TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX payment_events_txn ON payment_events (transaction_id, id);

-- Chart of accounts per partner (managed by the onboarding CLI). No rows = accept every well-formed account.
CREATE TABLE chart_of_accounts (
  pbc_ref_number TEXT NOT NULL REFERENCES partners (pbc_ref_number),
  account TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
  PRIMARY KEY (pbc_ref_number, account)
);

-- One summarized journal per (partner, GL date, sequence). Sequence > 1 only for lines that
-- became due after that date's journal was posted.
CREATE TABLE journal_batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pbc_ref_number TEXT NOT NULL REFERENCES partners (pbc_ref_number),
  gl_date TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'CLAIMED' CHECK (status IN ('CLAIMED', 'POSTED')),
  line_count INTEGER,
  account_count INTEGER,
  debit_total_cents INTEGER,
  credit_total_cents INTEGER,
  files TEXT,
  claimed_at TEXT NOT NULL,
  posted_at TEXT,
  UNIQUE (pbc_ref_number, gl_date, sequence)
);

-- Security-relevant events (PCI DSS 10.2): who, what, when, where from, outcome.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  occurred_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  source_ip TEXT,
  request_id TEXT,
  detail TEXT
);
CREATE INDEX audit_log_time ON audit_log (occurred_at);

CREATE TABLE csp_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at TEXT NOT NULL,
  document_uri TEXT,
  violated_directive TEXT,
  blocked_uri TEXT,
  report TEXT NOT NULL
);
