/**
 * Drizzle mirror of migrations/*.sql (the SQL files are the source of truth, applied by wrangler).
 * test/schemaDrift.test.ts compares every table here with the migrated database: columns, types,
 * NOT NULL, keys and indexes (by columns; UNIQUE constraints of the SQL appear as unique indexes).
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ATTEMPT_STATES } from "../domain/paymentAttempt.ts";

export const partners = sqliteTable("partners", {
  pbcRefNumber: text("pbc_ref_number").primaryKey(),
  name: text("name").notNull(),
  status: text("status", { enum: ["ACTIVE", "DISABLED"] })
    .notNull()
    .default("ACTIVE"),
  keyStyle: text("key_style", { enum: ["lower", "camel"] })
    .notNull()
    .default("lower"),
  glPosting: integer("gl_posting", { mode: "boolean" }).notNull().default(false),
  cashAccount: text("cash_account"),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  signingAlgorithm: text("signing_algorithm", { enum: ["MD5", "HMAC-SHA256"] })
    .notNull()
    .default("MD5"),
  onDecline: text("on_decline", { enum: ["retry", "return"] })
    .notNull()
    .default("retry"),
  nameFr: text("name_fr"),
  contactEmail: text("contact_email"),
  contactPhone: text("contact_phone"),
  contactUrl: text("contact_url"),
  logoSha256: text("logo_sha256"),
  privacyNoticeEn: text("privacy_notice_en"),
  privacyNoticeFr: text("privacy_notice_fr"),
});

export const partnerApiKeys = sqliteTable(
  "partner_api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    pbcRefNumber: text("pbc_ref_number").notNull(),
    keyCiphertext: text("key_ciphertext").notNull(),
    createdAt: text("created_at").notNull(),
    retiredAt: text("retired_at"),
    validUntil: text("valid_until"),
  },
  (table) => [index("partner_api_keys_partner").on(table.pbcRefNumber, table.retiredAt)],
);

export const partnerRedirectTargets = sqliteTable(
  "partner_redirect_targets",
  {
    pbcRefNumber: text("pbc_ref_number").notNull(),
    target: text("target").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.pbcRefNumber, table.target] })],
);

export const oauthClients = sqliteTable(
  "oauth_clients",
  {
    clientId: text("client_id").primaryKey(),
    pbcRefNumber: text("pbc_ref_number").notNull(),
    secretSalt: text("secret_salt").notNull(),
    secretHash: text("secret_hash").notNull(),
    previousSecretSalt: text("previous_secret_salt"),
    previousSecretHash: text("previous_secret_hash"),
    previousValidUntil: text("previous_valid_until"),
    createdAt: text("created_at").notNull(),
    rotatedAt: text("rotated_at"),
    secretGeneration: integer("secret_generation").notNull().default(1),
  },
  (table) => [index("oauth_clients_partner").on(table.pbcRefNumber)],
);

export const transactions = sqliteTable(
  "transactions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    pbcRefNumber: text("pbc_ref_number").notNull(),
    pbcTxnNumber: text("pbc_txn_number").notNull(),
    trnDate: text("trn_date").notNull(),
    requestedGlDate: text("requested_gl_date").notNull(),
    glDate: text("gl_date").notNull(),
    glBusinessDate: text("gl_business_date"),
    glAfterCutoff: integer("gl_after_cutoff", { mode: "boolean" }),
    description: text("description").notNull(),
    trnAmountCents: integer("trn_amount_cents").notNull(),
    paymentMethod: text("payment_method", { enum: ["CC", "VI"] }).notNull(),
    /** Only CAD is accepted (domain/directSaleRequest.ts). */
    currency: text("currency", { enum: ["CAD"] }).notNull(),
    redirectUri: text("redirect_uri").notNull(),
    ref1: text("ref1").notNull().default(""),
    ref2: text("ref2").notNull().default(""),
    ref3: text("ref3").notNull().default(""),
    paymentStatus: text("payment_status", { enum: ["PNDNG", "PAID", "CMPLT"] })
      .notNull()
      .default("PNDNG"),
    trnOrderId: text("trn_order_id"),
    paymentAuthCode: text("payment_auth_code"),
    cardType: text("card_type"),
    cardLastFour: text("card_last_four"),
    paidAt: text("paid_at"),
    authorisingAttemptId: integer("authorising_attempt_id"),
    apiKeyId: integer("api_key_id"),
    declineCount: integer("decline_count").notNull().default(0),
    revenueUpdateToken: text("revenue_update_token"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    moneyDigest: text("money_digest"),
  },
  (table) => [
    uniqueIndex("transactions_partner_txn").on(table.pbcRefNumber, table.pbcTxnNumber),
    index("transactions_status_gl").on(table.paymentStatus, table.glDate),
    index("transactions_partner_trn_date").on(table.pbcRefNumber, table.trnDate, table.id),
    index("transactions_partner_paid_date").on(table.pbcRefNumber, table.glBusinessDate, table.id),
  ],
);

export const GL_STATUSES = ["NEW", "IN PROCESS", "REJECT", "PROCESSED"] as const;
export type GlStatus = (typeof GL_STATUSES)[number];

export const revenueLines = sqliteTable(
  "revenue_lines",
  {
    transactionId: integer("transaction_id").notNull(),
    lineNumber: integer("line_number").notNull(),
    revenueAccount: text("revenue_account").notNull(),
    revenueAmountCents: integer("revenue_amount_cents").notNull(),
    glStatus: text("gl_status", { enum: GL_STATUSES }).notNull().default("NEW"),
    glErrorMessage: text("gl_error_message"),
    journalBatchId: integer("journal_batch_id"),
    /** The ledger feeder file the line went out in (ledger_feeder_files.id). */
    feederFileId: integer("feeder_file_id"),
    /** The ledger's return code of a REJECT line. */
    glErrorCode: text("gl_error_code"),
  },
  (table) => [
    primaryKey({ columns: [table.transactionId, table.lineNumber] }),
    index("revenue_lines_gl").on(table.glStatus, table.journalBatchId),
    index("revenue_lines_batch").on(table.journalBatchId, table.transactionId, table.lineNumber),
    index("revenue_lines_feeder").on(table.feederFileId, table.revenueAccount),
  ],
);
export { ATTEMPT_STATES, type AttemptState } from "../domain/paymentAttempt.ts";

export const paymentAttempts = sqliteTable(
  "payment_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    externalId: text("external_id").notNull().unique(),
    transactionId: integer("transaction_id").notNull(),
    attemptNumber: integer("attempt_number").notNull(),
    state: text("state", { enum: ATTEMPT_STATES }).notNull().default("CREATED"),
    linkTokenHash: text("link_token_hash").notNull().unique(),
    linkUsedAt: text("link_used_at"),
    sessionHash: text("session_hash"),
    orderNumber: text("order_number").notNull().unique(),
    outcomeMessage: text("outcome_message"),
    redirectedAt: text("redirected_at"),
    expiresAt: text("expires_at").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    language: text("language", { enum: ["en", "fr"] }),
    receiptEmail: text("receipt_email"),
    receiptLanguage: text("receipt_language", { enum: ["en", "fr"] }),
    receiptStatus: text("receipt_status", { enum: ["REQUESTED", "SENT", "FAILED", "ERASED"] }),
    receiptUpdatedAt: text("receipt_updated_at"),
  },
  (table) => [
    uniqueIndex("payment_attempts_transaction_attempt").on(table.transactionId, table.attemptNumber),
    index("payment_attempts_open").on(table.state, table.expiresAt),
    index("payment_attempts_receipt").on(table.receiptStatus, table.receiptUpdatedAt),
  ],
);

export const paymentEvents = sqliteTable(
  "payment_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    transactionId: integer("transaction_id"),
    attemptId: integer("attempt_id"),
    attemptNumber: integer("attempt_number"),
    pbcRefNumber: text("pbc_ref_number"),
    pbcTxnNumber: text("pbc_txn_number"),
    eventType: text("event_type").notNull(),
    detail: text("detail"),
    createdAt: text("created_at").notNull(),
  },
  (table) => [index("payment_events_txn").on(table.transactionId, table.id)],
);

export const chartOfAccounts = sqliteTable(
  "chart_of_accounts",
  {
    pbcRefNumber: text("pbc_ref_number").notNull(),
    account: text("account").notNull(),
    status: text("status", { enum: ["OPEN", "CLOSED"] })
      .notNull()
      .default("OPEN"),
  },
  (table) => [primaryKey({ columns: [table.pbcRefNumber, table.account] })],
);

export const journalBatches = sqliteTable(
  "journal_batches",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    pbcRefNumber: text("pbc_ref_number").notNull(),
    glDate: text("gl_date").notNull(),
    sequence: integer("sequence").notNull(),
    status: text("status", { enum: ["CLAIMED", "POSTED"] })
      .notNull()
      .default("CLAIMED"),
    lineCount: integer("line_count"),
    accountCount: integer("account_count"),
    debitTotalCents: integer("debit_total_cents"),
    creditTotalCents: integer("credit_total_cents"),
    files: text("files"),
    claimedAt: text("claimed_at").notNull(),
    postedAt: text("posted_at"),
    /** revenue (payments) or refund (reversals); migrations/0004_refunds.sql */
    kind: text("kind", { enum: ["revenue", "refund"] })
      .notNull()
      .default("revenue"),
  },
  (table) => [uniqueIndex("journal_batches_partner_date_sequence").on(table.pbcRefNumber, table.glDate, table.sequence)],
);

export const JOURNAL_KINDS = ["payment", "refund"] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

export const ledgerFeederFiles = sqliteTable(
  "ledger_feeder_files",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    journalKind: text("journal_kind", { enum: JOURNAL_KINDS }).notNull(),
    sourceBatchId: integer("source_batch_id").notNull(),
    pbcRefNumber: text("pbc_ref_number").notNull(),
    glDate: text("gl_date").notNull(),
    effectiveDate: text("effective_date").notNull(),
    batchType: text("batch_type", { enum: ["GA", "GI"] }).notNull(),
    feederNumber: text("feeder_number").notNull(),
    ministryPrefix: text("ministry_prefix").notNull(),
    fileName: text("file_name").notNull().unique(),
    journal: text("journal").notNull(),
    totalCents: integer("total_cents").notNull(),
    lineCount: integer("line_count").notNull(),
    status: text("status", { enum: ["SENT", "ACCEPTED", "PARTIAL", "REJECTED"] })
      .notNull()
      .default("SENT"),
    feedbackFileId: integer("feedback_file_id"),
    createdAt: text("created_at").notNull(),
    settledAt: text("settled_at"),
  },
  (table) => [
    uniqueIndex("ledger_feeder_files_source").on(table.journalKind, table.sourceBatchId, table.batchType),
    index("ledger_feeder_files_status").on(table.status, table.id),
  ],
);

export const ledgerFeedbackFiles = sqliteTable(
  "ledger_feedback_files",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    fileName: text("file_name").notNull(),
    kind: text("kind", { enum: ["FEEDBACK", "ACK"] }).notNull(),
    sha256: text("sha256").notNull().unique(),
    size: integer("size").notNull(),
    r2Key: text("r2_key").notNull(),
    source: text("source", { enum: ["inbox", "upload"] }).notNull(),
    receivedBy: text("received_by").notNull(),
    status: text("status", { enum: ["RECEIVED", "PROCESSED", "PROBLEMS"] })
      .notNull()
      .default("RECEIVED"),
    outcome: text("outcome"),
    receivedAt: text("received_at").notNull(),
    processedAt: text("processed_at"),
  },
  (table) => [index("ledger_feedback_files_status").on(table.status, table.id)],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    occurredAt: text("occurred_at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    outcome: text("outcome").notNull(),
    sourceIp: text("source_ip"),
    requestId: text("request_id"),
    detail: text("detail"),
  },
  (table) => [index("audit_log_time").on(table.occurredAt)],
);

export const cspReports = sqliteTable("csp_reports", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  receivedAt: text("received_at").notNull(),
  documentUri: text("document_uri"),
  violatedDirective: text("violated_directive"),
  blockedUri: text("blocked_uri"),
  report: text("report").notNull(),
});

export type Partner = typeof partners.$inferSelect;
export type Transaction = typeof transactions.$inferSelect;
export type RevenueLineRow = typeof revenueLines.$inferSelect;
export type PaymentAttempt = typeof paymentAttempts.$inferSelect;

export const financeSessions = sqliteTable(
  "finance_sessions",
  {
    sessionHash: text("session_hash").primaryKey(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    sourceIp: text("source_ip"),
  },
  (table) => [index("finance_sessions_expiry").on(table.expiresAt)],
);

export const sandboxLedger = sqliteTable(
  "sandbox_ledger",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["purchase", "return", "void"] }).notNull(),
    orderNumber: text("order_number").notNull(),
    processorTxnId: text("processor_txn_id").notNull(),
    originalTxnId: text("original_txn_id"),
    amountCents: integer("amount_cents").notNull(),
    cardType: text("card_type"),
    lastFour: text("last_four"),
    approved: integer("approved", { mode: "boolean" }).notNull(),
    message: text("message").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (table) => [index("sandbox_ledger_order").on(table.orderNumber), index("sandbox_ledger_txn").on(table.processorTxnId)],
);
export type SandboxLedgerEntry = typeof sandboxLedger.$inferSelect;

export const partnerWebhooks = sqliteTable("partner_webhooks", {
  pbcRefNumber: text("pbc_ref_number").primaryKey(),
  url: text("url").notNull(),
  events: text("events").notNull(),
  status: text("status", { enum: ["ACTIVE", "DISABLED"] })
    .notNull()
    .default("ACTIVE"),
  disabledReason: text("disabled_reason"),
  secretCiphertext: text("secret_ciphertext").notNull(),
  previousSecretCiphertext: text("previous_secret_ciphertext"),
  previousValidUntil: text("previous_valid_until"),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});
export type PartnerWebhook = typeof partnerWebhooks.$inferSelect;

export const OUTBOX_STATUSES = ["PENDING", "DELIVERED", "DEAD", "CANCELLED"] as const;
export const webhookOutbox = sqliteTable(
  "webhook_outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    messageId: text("message_id").notNull().unique(),
    eventKey: text("event_key").notNull().unique(),
    pbcRefNumber: text("pbc_ref_number").notNull(),
    eventType: text("event_type").notNull(),
    transactionId: integer("transaction_id"),
    refundId: integer("refund_id"),
    occurredAt: text("occurred_at").notNull(),
    payload: text("payload"),
    status: text("status", { enum: OUTBOX_STATUSES }).notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    generation: integer("generation").notNull().default(0),
    enqueuedAt: text("enqueued_at"),
    nextAttemptAt: text("next_attempt_at"),
    claimedUntil: text("claimed_until"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredAt: text("delivered_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    /** migrations/0008_outbox_retention.sql: when the body was cleared (services/outboxRetention.ts). */
    payloadClearedAt: text("payload_cleared_at"),
  },
  (table) => [
    index("webhook_outbox_sweep").on(table.status, table.nextAttemptAt),
    index("webhook_outbox_partner").on(table.pbcRefNumber, table.id),
    // migrations/0007_archive.sql: archival works per payment.
    index("webhook_outbox_transaction").on(table.transactionId, table.id),
    // migrations/0008_outbox_retention.sql: only the bodies still to clear.
    index("webhook_outbox_retention")
      .on(table.updatedAt)
      .where(sql`payload IS NOT NULL AND status IN ('DELIVERED', 'CANCELLED')`),
  ],
);
export type OutboxRow = typeof webhookOutbox.$inferSelect;

export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    outboxId: integer("outbox_id").notNull(),
    attemptNumber: integer("attempt_number").notNull(),
    url: text("url").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    retryAfterSeconds: integer("retry_after_seconds"),
    attemptedAt: text("attempted_at").notNull(),
  },
  (table) => [index("webhook_attempts_outbox").on(table.outboxId, table.id)],
);
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
export const REFUND_STATUSES = ["PENDING", "APPROVED", "DECLINED", "UNKNOWN"] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
export const REFUND_GL_STATUSES = ["NEW", "INPRG", "CMPLT", "RJCT"] as const;
export type RefundGlStatus = (typeof REFUND_GL_STATUSES)[number];

export const refunds = sqliteTable(
  "refunds",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    externalId: text("external_id").notNull().unique(),
    transactionId: integer("transaction_id").notNull(),
    pbcRefNumber: text("pbc_ref_number").notNull(),
    pbcTxnNumber: text("pbc_txn_number").notNull(),
    orderNumber: text("order_number").notNull().unique(),
    amountCents: integer("amount_cents").notNull(),
    status: text("status", { enum: REFUND_STATUSES }).notNull().default("PENDING"),
    method: text("method", { enum: ["return", "void"] }),
    processorRefundId: text("processor_refund_id"),
    processorMessage: text("processor_message"),
    channel: text("channel", { enum: ["paybc", "api", "support"] }).notNull(),
    requestedBy: text("requested_by").notNull(),
    reason: text("reason"),
    requestFingerprint: text("request_fingerprint").notNull(),
    idempotencyKey: text("idempotency_key"),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    businessDate: text("business_date"),
    glDate: text("gl_date"),
    glAfterCutoff: integer("gl_after_cutoff", { mode: "boolean" }),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    settledAt: text("settled_at"),
  },
  (table) => [
    uniqueIndex("refunds_partner_idempotency").on(table.pbcRefNumber, table.idempotencyKey),
    index("refunds_transaction").on(table.transactionId, table.id),
    index("refunds_unsettled").on(table.status, table.updatedAt),
  ],
);
export type Refund = typeof refunds.$inferSelect;

export const refundLines = sqliteTable(
  "refund_lines",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    refundId: integer("refund_id").notNull(),
    transactionId: integer("transaction_id").notNull(),
    lineNumber: integer("line_number").notNull(),
    amountCents: integer("amount_cents").notNull(),
    revenueAccount: text("revenue_account"),
    glStatus: text("gl_status", { enum: REFUND_GL_STATUSES }).notNull().default("NEW"),
    glErrorMessage: text("gl_error_message"),
    glErrorCode: text("gl_error_code"),
    journalBatchId: integer("journal_batch_id"),
    feederFileId: integer("feeder_file_id"),
  },
  (table) => [
    uniqueIndex("refund_lines_refund_line").on(table.refundId, table.lineNumber),
    index("refund_lines_line").on(table.transactionId, table.lineNumber),
    index("refund_lines_gl").on(table.glStatus, table.journalBatchId),
    index("refund_lines_batch").on(table.journalBatchId, table.id),
    index("refund_lines_feeder").on(table.feederFileId, table.revenueAccount),
  ],
);
export type RefundLineRow = typeof refundLines.$inferSelect;
export type LedgerFeederFile = typeof ledgerFeederFiles.$inferSelect;
export type LedgerFeedbackFile = typeof ledgerFeedbackFiles.$inferSelect;

export const emailOutbox = sqliteTable("email_outbox", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  toAddress: text("to_address").notNull(),
  subject: text("subject").notNull(),
  textBody: text("text_body").notNull(),
  htmlBody: text("html_body").notNull(),
  language: text("language").notNull(),
  createdAt: text("created_at").notNull(),
});
export type OutboxMessage = typeof emailOutbox.$inferSelect;

export const partnerLogos = sqliteTable("partner_logos", {
  pbcRefNumber: text("pbc_ref_number").primaryKey(),
  contentType: text("content_type", { enum: ["image/png", "image/svg+xml"] }).notNull(),
  dataBase64: text("data_base64").notNull(),
  sha256: text("sha256").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const ARCHIVE_KINDS = ["payments", "audit"] as const;
export type ArchiveKind = (typeof ARCHIVE_KINDS)[number];
export const ARCHIVE_RUN_STATUSES = ["CLAIMED", "VERIFIED", "DELETED", "ABANDONED"] as const;

/** migrations/0007_archive.sql: one row per archive object (services/archive.ts). */
export const archiveRuns = sqliteTable(
  "archive_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id").notNull().unique(),
    kind: text("kind", { enum: ARCHIVE_KINDS }).notNull(),
    partitionMonth: text("partition_month").notNull(),
    objectKey: text("object_key").notNull().unique(),
    manifestKey: text("manifest_key").notNull().unique(),
    status: text("status", { enum: ARCHIVE_RUN_STATUSES }).notNull().default("CLAIMED"),
    firstId: integer("first_id"),
    lastId: integer("last_id"),
    recordCount: integer("record_count"),
    totalCents: integer("total_cents"),
    size: integer("size"),
    sha256: text("sha256"),
    deletedCount: integer("deleted_count").notNull().default(0),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    finishedAt: text("finished_at"),
  },
  (table) => [index("archive_runs_status").on(table.status, table.id)],
);
export type ArchiveRun = typeof archiveRuns.$inferSelect;

/** The index row of an archived payment: where its record is, and enough to answer duplicates. */
export const archivedPayments = sqliteTable(
  "archived_payments",
  {
    transactionId: integer("transaction_id").primaryKey(),
    pbcRefNumber: text("pbc_ref_number").notNull(),
    pbcTxnNumber: text("pbc_txn_number").notNull(),
    trnOrderId: text("trn_order_id"),
    archiveRunId: integer("archive_run_id").notNull(),
    recordLine: integer("record_line"),
    trnAmountCents: integer("trn_amount_cents").notNull(),
    paymentStatus: text("payment_status").notNull(),
    trnDate: text("trn_date").notNull(),
    paidDate: text("paid_date"),
    fingerprint: text("fingerprint").notNull(),
    state: text("state", { enum: ["CLAIMED", "ARCHIVED"] })
      .notNull()
      .default("CLAIMED"),
    archivedAt: text("archived_at"),
    facts: text("facts"),
  },
  (table) => [
    uniqueIndex("archived_payments_partner_txn").on(table.pbcRefNumber, table.pbcTxnNumber),
    index("archived_payments_run").on(table.archiveRunId, table.state, table.transactionId),
  ],
);
export type ArchivedPayment = typeof archivedPayments.$inferSelect;
