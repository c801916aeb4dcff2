import type { FC } from "hono/jsx";
import type { CardErrors, CardField } from "../domain/card.ts";
import { ErrorSummary, Layout } from "./layout.tsx";

export interface CardPageProps {
  nonce: string;
  serviceName: string;
  description: string;
  amount: string;
  paymentMethod: string;
  /** The Pacific business date: the browser checks expiry against it, as the server does. */
  today: string;
  action: string;
  cancelAction: string;
  csrfToken: string;
  errors: CardErrors;
  /** Re-displayed after an error: never the card number or the security code. */
  values: { expiryMonth: string; expiryYear: string; cardholderName: string };
  scripts: string[];
  notice?: string | null;
}

const FIELD_ORDER: CardField[] = ["cardNumber", "expiryMonth", "expiryYear", "cardholderName", "securityCode"];

const ErrorMessage: FC<{ id: string; message?: string | undefined }> = ({ id, message }) =>
  message ? (
    <p class="error-message" id={`${id}-error`}>
      <span class="visually-hidden">Error:</span> {message}
    </p>
  ) : null;

function describedBy(id: string, errors: CardErrors, hint = true): string {
  return [hint ? `${id}-hint` : null, errors[id as CardField] ? `${id}-error` : null].filter(Boolean).join(" ");
}

export const CardPage: FC<CardPageProps> = (props) => {
  const { errors } = props;
  const summary = FIELD_ORDER.filter((field) => errors[field]).map((field) => ({
    field,
    message: errors[field] as string,
  }));
  const group = (field: CardField) => `form-group${errors[field] ? " form-group-error" : ""}`;
  const input = (field: CardField, extra = "") => `input${extra}${errors[field] ? " input-error" : ""}`;
  return (
    <Layout
      title={summary.length > 0 ? "Error: Enter card details" : "Enter card details"}
      serviceName={props.serviceName}
      nonce={props.nonce}
      scripts={props.scripts}
    >
      <ErrorSummary errors={summary} />
      <h1 class="heading-l">Enter card details</h1>
      {props.notice && <p class="notice">{props.notice}</p>}
      <section class="payment-summary" aria-labelledby="payment-summary-title">
        <h2 class="heading-s" id="payment-summary-title">
          Payment summary
        </h2>
        <dl class="summary-list">
          <div class="summary-row">
            <dt>Paying</dt>
            <dd>{props.serviceName}</dd>
          </div>
          <div class="summary-row">
            <dt>For</dt>
            <dd>{props.description}</dd>
          </div>
          <div class="summary-row">
            <dt>Total amount</dt>
            <dd class="amount" id="amount">
              ${props.amount} CAD
            </dd>
          </div>
        </dl>
      </section>
      <form
        method="post"
        action={props.action}
        novalidate
        data-card-form
        data-payment-method={props.paymentMethod}
        data-today={props.today}
      >
        <input type="hidden" name="csrfToken" value={props.csrfToken} />
        <div class={group("cardNumber")}>
          <label class="label" for="cardNumber">
            Card number
          </label>
          <div class="hint" id="cardNumber-hint">
            {props.paymentMethod === "VI"
              ? "Visa Debit only. The long number on the front of your card."
              : "Visa, Mastercard, American Express or Discover. The long number on the front of your card."}
          </div>
          <ErrorMessage id="cardNumber" message={errors.cardNumber} />
          <input
            class={input("cardNumber", " input-width-20")}
            id="cardNumber"
            name="cardNumber"
            type="text"
            inputmode="numeric"
            autocomplete="cc-number"
            spellcheck={false}
            maxlength={26}
            aria-describedby={describedBy("cardNumber", errors)}
            aria-invalid={errors.cardNumber ? "true" : undefined}
          />
        </div>
        <fieldset class="fieldset" aria-describedby="expiry-hint">
          <legend class="fieldset-legend">Expiry date</legend>
          <div class="hint" id="expiry-hint">
            For example, 04 28
          </div>
          <div class="date-inputs">
            <div class={group("expiryMonth")}>
              <label class="label" for="expiryMonth">
                Expiry month
              </label>
              <ErrorMessage id="expiryMonth" message={errors.expiryMonth} />
              <input
                class={input("expiryMonth", " input-width-2")}
                id="expiryMonth"
                name="expiryMonth"
                type="text"
                inputmode="numeric"
                autocomplete="cc-exp-month"
                maxlength={2}
                value={props.values.expiryMonth}
                aria-describedby={describedBy("expiryMonth", errors, false) || undefined}
                aria-invalid={errors.expiryMonth ? "true" : undefined}
              />
            </div>
            <div class={group("expiryYear")}>
              <label class="label" for="expiryYear">
                Expiry year
              </label>
              <ErrorMessage id="expiryYear" message={errors.expiryYear} />
              <input
                class={input("expiryYear", " input-width-4")}
                id="expiryYear"
                name="expiryYear"
                type="text"
                inputmode="numeric"
                autocomplete="cc-exp-year"
                maxlength={4}
                value={props.values.expiryYear}
                aria-describedby={describedBy("expiryYear", errors, false) || undefined}
                aria-invalid={errors.expiryYear ? "true" : undefined}
              />
            </div>
          </div>
        </fieldset>
        <div class={group("cardholderName")}>
          <label class="label" for="cardholderName">
            Name on card
          </label>
          <div class="hint" id="cardholderName-hint">
            As it appears on the card
          </div>
          <ErrorMessage id="cardholderName" message={errors.cardholderName} />
          <input
            class={input("cardholderName", " input-width-30")}
            id="cardholderName"
            name="cardholderName"
            type="text"
            autocomplete="cc-name"
            spellcheck={false}
            maxlength={100}
            value={props.values.cardholderName}
            aria-describedby={describedBy("cardholderName", errors)}
            aria-invalid={errors.cardholderName ? "true" : undefined}
          />
        </div>
        <div class={group("securityCode")}>
          <label class="label" for="securityCode">
            Security code
          </label>
          <div class="hint" id="securityCode-hint">
            The last 3 digits on the back of the card. American Express: 4 digits on the front.
          </div>
          <ErrorMessage id="securityCode" message={errors.securityCode} />
          <input
            class={input("securityCode", " input-width-4")}
            id="securityCode"
            name="securityCode"
            type="text"
            inputmode="numeric"
            autocomplete="cc-csc"
            maxlength={4}
            aria-describedby={describedBy("securityCode", errors)}
            aria-invalid={errors.securityCode ? "true" : undefined}
          />
        </div>
        <button type="submit" class="button" data-pay-button>
          Pay
        </button>
      </form>
      <form method="post" action={props.cancelAction} class="cancel-form">
        <input type="hidden" name="csrfToken" value={props.csrfToken} />
        <p class="body">If you cancel, no money will be taken from your account.</p>
        <button type="submit" class="button button-secondary">
          Cancel payment
        </button>
      </form>
    </Layout>
  );
};
