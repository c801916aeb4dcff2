/**
 * The hosted card page's lifecycle: single-use link and session (session.ts), the state enforcer
 * (pageState.ts), paying (authorisation.ts) and recording outcomes (outcomes.ts), delivery to the
 * partner (delivery.ts), and recovery of unknown outcomes, expiry and the sweep (recovery.ts).
 * The attempt's state machine is domain/paymentAttempt.ts. Nothing here knows about HTTP.
 */
export { type CardSubmission, OutcomeUncertainError, submitCard } from "./authorisation.ts";
export { cancelPayment, partnerReturnUrl, responseOutcome, returnToService } from "./delivery.ts";
export { cardPageView, retryAfterDecline } from "./pageState.ts";
export { NOT_FOUND_GRACE_MS, outcomeKnown, resolveUnknown, type SweepReport, sweepPayments } from "./recovery.ts";
export { csrfTokenFor, type LinkResult, loadContext, openLink } from "./session.ts";
export type {
  CardDeps,
  CardFormInput,
  CardView,
  FormErrors,
  FormMessages,
  OutcomeState,
  PaymentContext,
  SessionlessState,
} from "./types.ts";
