/**
 * The payment attempt's state machine: one visit to the card page, from the single-use link to an
 * outcome. Every TypeScript check and every SQL condition on attempt states is built from the named
 * sets here, so the rules live in one place.
 *
 *   CREATED --link used--> OPEN --claim--> AUTHORISING --approved--> APPROVED
 *      |                    |  ^  ^             |     \--declined--> DECLINED | LOCKED (too many declines)
 *      |                    |  |  +--- "Try another card" (partner retries in place) ---/
 *      |                    |  |                |      \-failed----> FAILED (payable again)
 *      |                    |  +---- FAILED ----+       \-unknown--> UNKNOWN --lookup--> one of the above
 *      +--------------------+-- cancel --> CANCELLED, expiry --> EXPIRED, re-request --> SUPERSEDED
 */

export const ATTEMPT_STATES = [
  "CREATED",
  "OPEN",
  "AUTHORISING",
  "UNKNOWN",
  "APPROVED",
  "DECLINED",
  "FAILED",
  "CANCELLED",
  "EXPIRED",
  "SUPERSEDED",
  "LOCKED",
] as const;
export type AttemptState = (typeof ATTEMPT_STATES)[number];

/** The link has not been used yet. */
export const UNOPENED = ["CREATED"] as const satisfies readonly AttemptState[];
/** The card form may be submitted: the attempt can take the transaction's authorisation lock. */
export const PAYABLE = ["OPEN", "FAILED"] as const satisfies readonly AttemptState[];
/** Nobody is talking to the processor for it and it has no outcome: it may be cancelled, expire or be superseded. */
export const CLOSABLE = ["CREATED", "OPEN", "FAILED"] as const satisfies readonly AttemptState[];
/** The processor was asked and its answer is not recorded yet: only a lookup may settle it. */
export const AWAITING_OUTCOME = ["AUTHORISING", "UNKNOWN"] as const satisfies readonly AttemptState[];

/** The outcomes a partner is shown as a payment's last attempt (never SUPERSEDED, OPEN, ...). */
export const REPORTED = ["APPROVED", "DECLINED", "CANCELLED", "EXPIRED", "LOCKED"] as const satisfies readonly AttemptState[];
export type ReportedState = (typeof REPORTED)[number];

export function isReportedState(state: string): state is ReportedState {
  return (REPORTED as readonly string[]).includes(state);
}

export type PayableState = (typeof PAYABLE)[number];
export type AwaitingOutcomeState = (typeof AWAITING_OUTCOME)[number];

export function isIn<S extends AttemptState>(set: readonly S[], state: AttemptState): state is S {
  return (set as readonly AttemptState[]).includes(state);
}

/** Every transition the portal makes, and the states it may start from. */
export const TRANSITIONS = {
  open: { from: UNOPENED, to: "OPEN" },
  startAuthorising: { from: PAYABLE, to: "AUTHORISING" },
  approve: { from: AWAITING_OUTCOME, to: "APPROVED" },
  decline: { from: AWAITING_OUTCOME, to: "DECLINED" },
  lock: { from: AWAITING_OUTCOME, to: "LOCKED" },
  fail: { from: AWAITING_OUTCOME, to: "FAILED" },
  lose: { from: ["AUTHORISING"], to: "UNKNOWN" },
  cancel: { from: CLOSABLE, to: "CANCELLED" },
  expire: { from: CLOSABLE, to: "EXPIRED" },
  supersede: { from: CLOSABLE, to: "SUPERSEDED" },
  /** "Try another card" after a decline, for partners that retry in place (partners.on_decline). */
  retry: { from: ["DECLINED"], to: "OPEN" },
} as const satisfies Record<string, { from: readonly AttemptState[]; to: AttemptState }>;

export type Transition = (typeof TRANSITIONS)[keyof typeof TRANSITIONS];

/** The outcome the partner is told for an attempt, when its state is final (approval comes from the transaction). */
export type AttemptOutcome = "declined" | "cancelled" | "expired" | "locked";

export const OUTCOME_OF: Partial<Record<AttemptState, AttemptOutcome>> = {
  DECLINED: "declined",
  CANCELLED: "cancelled",
  EXPIRED: "expired",
  LOCKED: "locked",
};
