/** What the card payment services work with and answer: no HTTP, no page text. */
import type { AppConfig } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import type { Partner, PaymentAttempt, Transaction } from "../../db/schema.ts";
import type { CardInput, CardMessages } from "../../domain/card.ts";
import type { Logger } from "../../lib/logger.ts";
import type { PaymentProcessor } from "../../processor/types.ts";
import type { AuditRecorder } from "../audit.ts";
import type { Notifier } from "../notifications.ts";
import type { ReceiptQueue } from "../receipts.ts";

export interface CardDeps {
  db: Db;
  config: AppConfig;
  encryptionKey: string;
  processor: PaymentProcessor;
  audit: AuditRecorder;
  /** Partner notifications: each outcome adds its event to its own batch. */
  notify: Notifier;
  log: Logger;
  now: Date;
  /** Receipt emails (wrangler.toml RECEIPTS); absent only where nothing can be paid (tests of other parts). */
  receipts?: ReceiptQueue | undefined;
}

export interface PaymentContext {
  attempt: PaymentAttempt;
  transaction: Transaction;
  partner: Partner;
}

/** What a page may say about a payment to a browser without its session: only what the state proves. */
export type SessionlessState = "paid" | "in-progress" | "not-known";

/** The card form's fields as typed (the card number and security code are never shown again). */
export interface CardFormInput extends CardInput {
  /** The optional receipt address ("" = none). */
  email?: string;
}

/** Which field is wrong, in the page's language (card fields from domain/card.ts, the receipt address). */
export type FormErrors = Partial<Record<keyof CardFormInput, string>>;

/** What the form's checks say, in the page's language (the route passes its catalogue's words). */
export interface FormMessages {
  card: CardMessages;
  emailInvalid: string;
  language: "en" | "fr";
}

/** The page a payment's state calls for (views/cardOutcomes.ts words each one). */
export type OutcomeState =
  | "success"
  | "waiting"
  | "in-progress"
  | "superseded"
  | "declined"
  /** Declined, and the partner lets the person try another card here (partners.on_decline = retry). */
  | "declined-retry"
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
      errors: FormErrors;
      values: Partial<Omit<CardFormInput, "cardNumber" | "securityCode">>;
      /**
       * processing-failed: the last processor call failed before authorisation (nothing taken, try
       * again); declined: the last card was declined and the person chose to try another.
       */
      notice: "processing-failed" | "declined" | null;
    }
  | {
      kind: "outcome";
      context: PaymentContext;
      state: OutcomeState;
      /** declined-retry: declines left before the payment is stopped. */
      triesLeft?: number;
    }
  | { kind: "redirect"; location: string }
  | { kind: "card-page"; externalId: string };
