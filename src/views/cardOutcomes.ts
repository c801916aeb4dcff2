/**
 * The words of every card-page state (services/cardPayment answers a state; this says it). What a
 * page says about money follows from the state: "no money has been taken" appears only where the
 * state proves it (declined, cancelled, expired, locked, superseded).
 */
import { formatCents } from "../domain/money.ts";
import type { OutcomeState, SessionlessState } from "../services/cardPayment/index.ts";

export interface OutcomeWords {
  title: string;
  paragraphs: string[];
  returnLink: boolean;
  returnLabel?: string;
  /** The outcome is not known yet: the page checks the status until it is. */
  waiting?: boolean;
  panel?: boolean;
  reference?: string | null;
}

export interface OutcomeFacts {
  serviceName: string;
  amountCents: number;
  description: string;
  reference: string | null;
}

export function outcomeWords(state: OutcomeState, facts: OutcomeFacts): OutcomeWords {
  const name = facts.serviceName;
  switch (state) {
    case "success":
      return {
        title: "Your payment was successful",
        paragraphs: [
          `You paid $${formatCents(facts.amountCents)} CAD to ${name} for ${facts.description}.`,
          "You do not need to pay again.",
        ],
        returnLink: true,
        returnLabel: `Continue to ${name}`,
        panel: true,
        reference: facts.reference,
      };
    case "waiting":
      return {
        title: "Checking your card details",
        paragraphs: ["Your payment is being processed. This page will move on by itself when it is done: do not pay again."],
        returnLink: false,
        waiting: true,
      };
    case "in-progress":
      return {
        title: "Your payment is in progress",
        paragraphs: [
          "We are already processing a payment for this. Do not pay again.",
          "This page will update by itself when the outcome is known.",
        ],
        returnLink: false,
        waiting: true,
      };
    case "superseded":
      return {
        title: "This payment was started again",
        paragraphs: [
          "You started this payment again from the service, in this or another window. No money has been taken through this page.",
          "Use the newest payment page, or go back to the service to start again.",
        ],
        returnLink: false,
      };
    case "declined":
      return {
        title: "Your payment was declined",
        paragraphs: [
          "No money has been taken from your account.",
          `Return to ${name} to try again or to choose another way to pay.`,
        ],
        returnLink: true,
      };
    case "cancelled":
      return {
        title: "Your payment has been cancelled",
        paragraphs: ["No money has been taken from your account."],
        returnLink: true,
      };
    case "expired":
      return {
        title: "Your payment session has expired",
        paragraphs: [
          "You did not finish paying in time, so this payment has been stopped. No money has been taken from your account.",
          `Return to ${name} to start again.`,
        ],
        returnLink: true,
      };
    case "locked":
      return {
        title: "We could not take your payment",
        paragraphs: [
          "Your card was declined too many times, so we have stopped this payment to protect you. No money has been taken from your account.",
          `Return to ${name}, check your card details with your bank, and try again later.`,
        ],
        returnLink: true,
      };
    case "rate-limited":
      return {
        title: "Too many payment attempts",
        paragraphs: [
          "There have been too many payment attempts from your connection in a short time. Your card details were not sent for payment.",
          "Wait a minute, then go back and try again.",
        ],
        returnLink: false,
      };
  }
}

export const PROCESSING_FAILED_NOTICE =
  "Your payment could not be processed and no money has been taken. Check your card details and try again.";

/** A card page opened without its session: only what the payment's state proves. */
export function sessionlessWords(state: SessionlessState, serviceName: string | null): { title: string; lead: string } {
  const service = serviceName ?? "the service you were using";
  switch (state) {
    case "paid":
      return {
        title: "This payment has been made",
        lead: `You do not need to pay again. Return to ${service} to see your payment.`,
      };
    case "in-progress":
      return {
        title: "Your payment is being processed",
        lead: `Do not pay again. Return to ${service} later to see whether your payment went through.`,
      };
    case "not-known":
      return {
        title: "Your payment session has expired",
        lead: `For your security, a payment page works only in the browser that opened it, and only for a limited time. Return to ${service} to check your payment or to start again.`,
      };
  }
}
