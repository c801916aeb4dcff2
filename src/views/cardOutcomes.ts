/**
 * The words of every card-page state (services/cardPayment answers a state; this says it, in the
 * page's language from the i18n catalogues). What a page says about money follows from the state:
 * "no money has been taken" appears only where the state proves it (declined, cancelled, expired,
 * locked, superseded).
 */
import { type Catalogue, formatMoney } from "../i18n/index.ts";
import type { CardView, OutcomeState, SessionlessState } from "../services/cardPayment/index.ts";

export interface OutcomeWords {
  title: string;
  paragraphs: string[];
  returnLink: boolean;
  /** "Continue to <partner>" rather than "Return to <partner>". */
  continueLink?: boolean;
  /** "Try another card" (retry in place after a decline). */
  retry?: boolean;
  /** The outcome is not known yet: the page checks the status until it is. */
  waiting?: boolean;
  panel?: boolean;
  reference?: string | null;
  /** The partner's contact details help here (declined, stopped, paid). */
  contact?: boolean;
}

export interface OutcomeFacts {
  serviceName: string;
  amountCents: number;
  description: string;
  reference: string | null;
  /** A receipt email is on its way (success). */
  receiptRequested?: boolean;
  /** declined-retry: declines left before the payment is stopped. */
  triesLeft?: number;
}

export function outcomeWords(state: OutcomeState, facts: OutcomeFacts, t: Catalogue): OutcomeWords {
  const o = t.outcome;
  const name = facts.serviceName;
  switch (state) {
    case "success":
      return {
        title: o.successTitle,
        paragraphs: [
          o.successBody(formatMoney(facts.amountCents, t), name, facts.description),
          o.noNeedToPay,
          ...(facts.receiptRequested ? [o.receiptSent] : []),
        ],
        returnLink: true,
        continueLink: true,
        panel: true,
        reference: facts.reference,
        contact: true,
      };
    case "waiting":
      return { title: o.waitingTitle, paragraphs: [o.waitingBody], returnLink: false, waiting: true };
    case "in-progress":
      return { title: o.inProgressTitle, paragraphs: o.inProgressBody, returnLink: false, waiting: true };
    case "superseded":
      return { title: o.supersededTitle, paragraphs: o.supersededBody, returnLink: false };
    case "declined":
      return { title: o.declinedTitle, paragraphs: o.declinedBody(name), returnLink: true };
    case "declined-retry":
      return {
        title: o.declinedTitle,
        paragraphs: o.declinedRetryBody(facts.triesLeft ?? 1),
        returnLink: true,
        retry: true,
        contact: true,
      };
    case "cancelled":
      return { title: o.cancelledTitle, paragraphs: o.cancelledBody, returnLink: true };
    case "expired":
      return { title: o.expiredTitle, paragraphs: o.expiredBody(name), returnLink: true };
    case "locked":
      return { title: o.lockedTitle, paragraphs: o.lockedBody(name), returnLink: true, contact: true };
    case "rate-limited":
      return { title: o.tooManyTitle, paragraphs: o.tooManyBody, returnLink: false };
  }
}

/** The note above the card form: the last try failed (nothing taken) or was declined. */
export function formNoticeWords(notice: Extract<CardView, { kind: "form" }>["notice"], t: Catalogue): string | null {
  switch (notice) {
    case "processing-failed":
      return t.card.failedNotice;
    case "declined":
      return t.card.declinedNotice;
    case null:
      return null;
  }
}

/** A card page opened without its session: only what the payment's state proves. */
export function sessionlessWords(
  state: SessionlessState,
  serviceName: string | null,
  t: Catalogue,
): { title: string; lead: string } {
  const s = t.session;
  const service = serviceName ?? s.theService;
  switch (state) {
    case "paid":
      return { title: s.paidTitle, lead: s.paidLead(service) };
    case "in-progress":
      return { title: s.inProgressTitle, lead: s.inProgressLead(service) };
    case "not-known":
      return { title: s.expiredTitle, lead: s.expiredLead(service) };
  }
}
