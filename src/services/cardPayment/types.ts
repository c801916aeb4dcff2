/** What the card payment services work with and answer: no HTTP, no page text. */
import type { AppConfig } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import type { Partner, PaymentAttempt, Transaction } from "../../db/schema.ts";
import type { CardErrors, CardInput } from "../../domain/card.ts";
import type { Logger } from "../../http/logger.ts";
import type { PaymentProcessor } from "../../processor/types.ts";
import type { AuditRecorder } from "../audit.ts";

export interface CardDeps {
  db: Db;
  config: AppConfig;
  encryptionKey: string;
  processor: PaymentProcessor;
  audit: AuditRecorder;
  log: Logger;
  now: Date;
}

export interface PaymentContext {
  attempt: PaymentAttempt;
  transaction: Transaction;
  partner: Partner;
}

/** What a page may say about a payment to a browser without its session: only what the state proves. */
export type SessionlessState = "paid" | "in-progress" | "not-known";

/** The page a payment's state calls for (views/cardOutcomes.tsx words each one). */
export type OutcomeState =
  | "success"
  | "waiting"
  | "in-progress"
  | "superseded"
  | "declined"
  | "cancelled"
  | "expired"
  | "locked"
  | "rate-limited";

export type CardView =
  | { kind: "not-found" }
  | { kind: "session-expired"; state: SessionlessState; serviceName: string | null }
  | {
      kind: "form";
      context: PaymentContext;
      errors: CardErrors;
      values: Partial<CardInput>;
      /** The last processor call failed before authorisation: nothing was taken, try again. */
      notice: "processing-failed" | null;
    }
  | { kind: "outcome"; context: PaymentContext; state: OutcomeState }
  | { kind: "redirect"; location: string }
  | { kind: "card-page"; externalId: string };
