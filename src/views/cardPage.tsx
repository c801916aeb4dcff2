import type { FC } from "hono/jsx";
import { BRAND_MARKS } from "../assets/brandMarks.ts";
import type { CardField } from "../domain/card.ts";
import { type Catalogue, formatMoney } from "../i18n/index.ts";
import { ErrorSummary, Layout } from "./layout.tsx";
import { PartnerContact, type PartnerFace } from "./partner.tsx";

export type CardFormField = CardField | "email";
export type CardFormErrors = Partial<Record<CardFormField, string>>;

export interface CardPageProps {
  t: Catalogue;
  nonce: string;
  partner: PartnerFace;
  description: string;
  amountCents: number;
  paymentMethod: string;
  /** The Pacific business date: the browser checks expiry against it, as the server does. */
  today: string;
  action: string;
  cancelAction: string;
  csrfToken: string;
  errors: CardFormErrors;
  /** Re-displayed after an error: never the card number or the security code. */
  values: { expiryMonth: string; expiryYear: string; cardholderName: string; email: string };
  scripts: string[];
  switchHref: string;
  notice?: string | null;
}

const FIELD_ORDER: CardFormField[] = ["cardNumber", "expiryMonth", "expiryYear", "cardholderName", "securityCode", "email"];

const ErrorMessage: FC<{ id: string; message?: string | undefined; t: Catalogue }> = ({ id, message, t }) =>
  message ? (
    <p class="error-message" id={`${id}-error`}>
      <span class="visually-hidden">{t.layout.errorHidden}</span> {message}
    </p>
  ) : null;

function describedBy(id: CardFormField, errors: CardFormErrors, hint = true): string {
  return [hint ? `${id}-hint` : null, errors[id] ? `${id}-error` : null].filter(Boolean).join(" ");
}

/** The brands this payment accepts, as marks with their names as text alternatives. */
const AcceptedCards: FC<{ t: Catalogue; paymentMethod: string }> = ({ t, paymentMethod }) => {
  const brands = paymentMethod === "VI" ? BRAND_MARKS.filter((brand) => brand.code === "visa") : BRAND_MARKS;
  return (
    <div class="accepted-cards">
      <h2 class="heading-s" id="accepted-cards-title">
        {t.card.acceptedTitle}
      </h2>
      <ul class="brand-list" aria-labelledby="accepted-cards-title">
        {brands.map((brand) => (
          <li>
            <img
              src={`/public/assets/brands/${brand.code}.svg`}
              alt={paymentMethod === "VI" ? t.brands.PV : brand.name}
              width="48"
              height="30"
            />
          </li>
        ))}
      </ul>
      {paymentMethod === "VI" && <p class="hint">{t.card.acceptedDebit}</p>}
    </div>
  );
};

export const CardPage: FC<CardPageProps> = (props) => {
  const { errors, t, partner } = props;
  const summary = FIELD_ORDER.filter((field) => errors[field]).map((field) => ({
    field,
    message: errors[field] as string,
  }));
  const group = (field: CardFormField) => `form-group${errors[field] ? " form-group-error" : ""}`;
  const input = (field: CardFormField, extra = "") => `input${extra}${errors[field] ? " input-error" : ""}`;
  const amount = formatMoney(props.amountCents, t);
  // What the browser's copy of the card checks says, in this page's language.
  const browserText = JSON.stringify({
    messages: t.cardErrors,
    emailInvalid: t.card.emailInvalid,
    problem: t.layout.problem,
    errorHidden: t.layout.errorHidden,
    errorPrefix: t.layout.errorPrefix,
    paying: t.card.paying,
  });
  return (
    <Layout
      t={t}
      title={summary.length > 0 ? `${t.layout.errorPrefix}${t.card.title}` : t.card.title}
      serviceName={partner.name}
      nonce={props.nonce}
      scripts={props.scripts}
      switchHref={props.switchHref}
    >
      <ErrorSummary errors={summary} t={t} />
      <h1 class="heading-l">{t.card.title}</h1>
      {props.notice && <p class="notice">{props.notice}</p>}
      <section class="payment-summary" aria-labelledby="payment-summary-title">
        {partner.logoUrl && <img class="partner-logo" src={partner.logoUrl} alt={t.layout.logoAlt(partner.name)} />}
        <h2 class="heading-s" id="payment-summary-title">
          {t.card.summaryTitle}
        </h2>
        <dl class="summary-list">
          <div class="summary-row">
            <dt>{t.card.payingTo}</dt>
            <dd>{partner.name}</dd>
          </div>
          <div class="summary-row">
            <dt>{t.card.for}</dt>
            <dd>{props.description}</dd>
          </div>
          <div class="summary-row">
            <dt>{t.card.total}</dt>
            <dd class="amount" id="amount">
              {amount}
              {t.card.amountSuffix}
            </dd>
          </div>
        </dl>
      </section>
      <AcceptedCards t={t} paymentMethod={props.paymentMethod} />
      <form
        method="post"
        action={props.action}
        novalidate
        data-card-form
        data-payment-method={props.paymentMethod}
        data-today={props.today}
        data-text={browserText}
      >
        <input type="hidden" name="csrfToken" value={props.csrfToken} />
        <div class={group("cardNumber")}>
          <label class="label" for="cardNumber">
            {t.card.cardNumber}
          </label>
          <div class="hint" id="cardNumber-hint">
            {props.paymentMethod === "VI" ? t.card.cardNumberHintDebit : t.card.cardNumberHintCredit}
          </div>
          <ErrorMessage id="cardNumber" message={errors.cardNumber} t={t} />
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
          <legend class="fieldset-legend">{t.card.expiry}</legend>
          <div class="hint" id="expiry-hint">
            {t.card.expiryHint}
          </div>
          <div class="date-inputs">
            <div class={group("expiryMonth")}>
              <label class="label" for="expiryMonth">
                {t.card.expiryMonth}
              </label>
              <ErrorMessage id="expiryMonth" message={errors.expiryMonth} t={t} />
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
                {t.card.expiryYear}
              </label>
              <ErrorMessage id="expiryYear" message={errors.expiryYear} t={t} />
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
            {t.card.name}
          </label>
          <div class="hint" id="cardholderName-hint">
            {t.card.nameHint}
          </div>
          <ErrorMessage id="cardholderName" message={errors.cardholderName} t={t} />
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
            {t.card.securityCode}
          </label>
          <div class="hint" id="securityCode-hint">
            {t.card.securityCodeHint}
          </div>
          <ErrorMessage id="securityCode" message={errors.securityCode} t={t} />
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
        <div class={group("email")}>
          <label class="label" for="email">
            {t.card.email}
          </label>
          <div class="hint" id="email-hint">
            {t.card.emailHint}
          </div>
          <ErrorMessage id="email" message={errors.email} t={t} />
          <input
            class={input("email", " input-width-30")}
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            spellcheck={false}
            maxlength={254}
            value={props.values.email}
            aria-describedby={describedBy("email", errors)}
            aria-invalid={errors.email ? "true" : undefined}
          />
        </div>
        <button type="submit" class="button" data-pay-button>
          {t.card.payButton(amount)}
        </button>
      </form>
      <form method="post" action={props.cancelAction} class="cancel-form">
        <input type="hidden" name="csrfToken" value={props.csrfToken} />
        <p class="body">{t.card.cancelLead}</p>
        <button type="submit" class="button button-secondary">
          {t.card.cancelButton}
        </button>
      </form>
      <PartnerContact t={t} partner={partner} />
      <section class="privacy-notice" aria-labelledby="privacy-title">
        <h2 class="heading-s" id="privacy-title">
          {t.card.privacyTitle}
        </h2>
        <p class="body">{partner.privacyNotice ?? t.card.privacyDefault(partner.name)}</p>
        {!partner.privacyNotice && <p class="body">{t.card.privacyContact(partner.name)}</p>}
      </section>
    </Layout>
  );
};
