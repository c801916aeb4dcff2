-- The people who use it (issue 15): what the person paying sees and is sent.

-- After a decline: 'retry' shows "Your payment was declined" with "Try another card" and "Return to
-- <partner>"; 'return' sends the signed Declined response at once. Partners that existed before this
-- migration keep the old behaviour ('return'); new partners get 'retry' (db/partners.ts).
ALTER TABLE partners ADD COLUMN on_decline TEXT NOT NULL DEFAULT 'return' CHECK (on_decline IN ('retry', 'return'));
-- What the card page and the receipt show about who is being paid (set with the partner CLI).
ALTER TABLE partners ADD COLUMN name_fr TEXT;
ALTER TABLE partners ADD COLUMN contact_email TEXT;
ALTER TABLE partners ADD COLUMN contact_phone TEXT;
ALTER TABLE partners ADD COLUMN contact_url TEXT;
-- SHA-256 of the partner's logo (partner_logos), NULL = no logo: the page links the logo by its hash.
ALTER TABLE partners ADD COLUMN logo_sha256 TEXT;
-- The personal information collection notice; NULL = the portal's default wording.
ALTER TABLE partners ADD COLUMN privacy_notice_en TEXT;
ALTER TABLE partners ADD COLUMN privacy_notice_fr TEXT;

-- A small logo served from the portal's own origin (no third-party requests), kept apart so the
-- partner row every card page reads stays small.
CREATE TABLE partner_logos (
  pbc_ref_number TEXT PRIMARY KEY REFERENCES partners (pbc_ref_number),
  content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/svg+xml')),
  data_base64 TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- The language the partner asked for with the signed `language` parameter (NULL = browser's choice).
ALTER TABLE payment_attempts ADD COLUMN language TEXT CHECK (language IN ('en', 'fr'));
-- The receipt address: kept only until the receipt is sent or can no longer be sent
-- (services/receipts.ts says how long), then set to NULL. Never anything about the card.
ALTER TABLE payment_attempts ADD COLUMN receipt_email TEXT;
ALTER TABLE payment_attempts ADD COLUMN receipt_language TEXT CHECK (receipt_language IN ('en', 'fr'));
ALTER TABLE payment_attempts ADD COLUMN receipt_status TEXT CHECK (receipt_status IN ('REQUESTED', 'SENT', 'FAILED', 'ERASED'));
ALTER TABLE payment_attempts ADD COLUMN receipt_updated_at TEXT;
CREATE INDEX payment_attempts_receipt ON payment_attempts (receipt_status, receipt_updated_at);

-- Local development only (EMAIL_SENDER=capture): the messages a developer reads at /demo/outbox.
-- Refused outside ENVIRONMENT=local (config.ts), so real addresses never land here.
CREATE TABLE email_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  to_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  language TEXT NOT NULL,
  created_at TEXT NOT NULL
);
