import type { FC } from "hono/jsx";
import { type Catalogue, catalogue } from "../i18n/index.ts";
import type { OutcomeWords } from "./cardOutcomes.ts";
import { Layout } from "./layout.tsx";
import { PartnerContact, type PartnerFace } from "./partner.tsx";

/** Why a direct sale request was refused, in words for the person paying (details go to the logs). */
export type RefusalReason = keyof Catalogue["request"]["reasons"];

/**
 * A page for a request we cannot act on. It lists the problems and never redirects. `lead` says what
 * this request did (e.g. that it started no payment) and is given only by callers that know it: the
 * page never claims on its own that no money was taken.
 */
export const RequestErrorPage: FC<{
  nonce: string;
  title: string;
  problems: string[];
  lead?: string | undefined;
  t?: Catalogue;
  /** Problems of the partner's request, said for the public: the page says so. */
  serviceProblems?: boolean;
}> = ({ nonce, title, problems, lead, t = catalogue("en"), serviceProblems = false }) => (
  <Layout title={title} nonce={nonce} t={t}>
    <h1 class="heading-l">{title}</h1>
    {lead && <p class="body">{lead}</p>}
    {problems.length > 0 && (
      <>
        {serviceProblems && <p class="body">{t.request.serviceProblem}</p>}
        <ul class="list list-bullet">
          {problems.map((problem) => (
            <li>{problem}</li>
          ))}
        </ul>
      </>
    )}
    {!lead && <p class="body">{t.request.goBack}</p>}
  </Layout>
);

export interface OutcomePageProps {
  t: Catalogue;
  nonce: string;
  partner: PartnerFace;
  /** What the page says (views/cardOutcomes.ts). */
  words: OutcomeWords;
  receiptUrl?: string | null;
  /** Signed link back to the partner service. */
  returnUrl?: string | null;
  /** "Try another card": a POST back to the form (declined-retry). */
  retryAction?: string | null;
  csrfToken?: string | null;
  /** Waiting page: poll this status URL (script) and offer a "Check again" link (no script). */
  statusUrl?: string | null;
  checkAgainUrl?: string | null;
  switchHref?: string | null;
}

/** One page per payment state (state enforcer): success, in progress, declined, cancelled, expired... */
export const OutcomePage: FC<OutcomePageProps> = (props) => {
  const { t, partner, words } = props;
  const { title, paragraphs } = words;
  return (
    <Layout
      t={t}
      title={title}
      serviceName={partner.name}
      nonce={props.nonce}
      scripts={props.statusUrl ? ["/public/assets/waiting.js"] : []}
      switchHref={props.switchHref}
    >
      {words.panel ? (
        <div class="panel">
          <h1 class="panel-title">{title}</h1>
          {words.reference && (
            <p class="panel-body">
              {t.outcome.referenceIs} <strong>{words.reference}</strong>
            </p>
          )}
        </div>
      ) : (
        <h1 class="heading-l">{title}</h1>
      )}
      {paragraphs.map((text) => (
        <p class="body">{text}</p>
      ))}
      {props.receiptUrl && (
        <p class="body">
          <a href={props.receiptUrl}>{t.outcome.viewReceipt}</a>
        </p>
      )}
      {props.statusUrl && (
        <p class="body" data-status-url={props.statusUrl} role="status">
          <a href={props.checkAgainUrl ?? ""}>{t.outcome.checkAgain}</a>
        </p>
      )}
      <div class="button-group">
        {props.retryAction && (
          <form method="post" action={props.retryAction} class="inline-form">
            <input type="hidden" name="csrfToken" value={props.csrfToken ?? ""} />
            <button type="submit" class="button">
              {t.outcome.tryAnotherCard}
            </button>
          </form>
        )}
        {props.returnUrl && (
          <a class={props.retryAction ? "button button-secondary" : "button"} href={props.returnUrl}>
            {words.continueLink ? t.outcome.continueTo(partner.name) : t.outcome.returnTo(partner.name)}
          </a>
        )}
      </div>
      {words.contact && <PartnerContact t={t} partner={partner} />}
    </Layout>
  );
};

export const UnavailablePage: FC<{ nonce: string; t?: Catalogue }> = ({ nonce, t = catalogue("en") }) => (
  <Layout title={t.unavailable.title} nonce={nonce} t={t}>
    <h1 class="heading-l">{t.unavailable.title}</h1>
    {t.unavailable.body.map((text) => (
      <p class="body">{text}</p>
    ))}
  </Layout>
);

/** A fault while a card payment was being processed: the outcome may not be known, so never say "no money taken". */
export const PaymentUncertainPage: FC<{ nonce: string; cardPageUrl: string; t?: Catalogue }> = ({
  nonce,
  cardPageUrl,
  t = catalogue("en"),
}) => (
  <Layout title={t.uncertain.title} nonce={nonce} t={t}>
    <h1 class="heading-l">{t.uncertain.title}</h1>
    <p class="body">{t.uncertain.body}</p>
    <p class="body">
      {t.uncertain.checkBefore}
      <a href={cardPageUrl}>{t.uncertain.checkLink}</a>
      {t.uncertain.checkAfter}
    </p>
  </Layout>
);
