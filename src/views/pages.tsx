import type { FC } from "hono/jsx";
import { Layout } from "./layout.tsx";

/**
 * A page for a request we cannot act on. It lists the problems and never redirects. `lead` says what
 * this request did (e.g. that it started no payment) and is given only by callers that know it: the
 * page never claims on its own that no money was taken.
 */
export const RequestErrorPage: FC<{ nonce: string; title: string; problems: string[]; lead?: string }> = ({
  nonce,
  title,
  problems,
  lead,
}) => (
  <Layout title={title} nonce={nonce}>
    <h1 class="heading-l">{title}</h1>
    {lead && <p class="body">{lead}</p>}
    {problems.length > 0 && (
      <>
        <p class="body">The service that sent you here made a request we could not accept:</p>
        <ul class="list list-bullet">
          {problems.map((problem) => (
            <li>{problem}</li>
          ))}
        </ul>
      </>
    )}
    {!lead && (
      <p class="body">Go back to the service you were using and try again. If this keeps happening, contact that service.</p>
    )}
  </Layout>
);

export interface OutcomePageProps {
  nonce: string;
  serviceName: string;
  title: string;
  paragraphs: string[];
  /** Signed link back to the partner service. */
  returnUrl?: string | null;
  returnLabel?: string;
  /** Waiting page: poll this status URL (script) and offer a "Check again" link (no script). */
  statusUrl?: string | null;
  checkAgainUrl?: string | null;
  panel?: boolean;
  reference?: string | null;
}

/** One page per payment state (state enforcer): success, in progress, declined, cancelled, expired... */
export const OutcomePage: FC<OutcomePageProps> = (props) => (
  <Layout
    title={props.title}
    serviceName={props.serviceName}
    nonce={props.nonce}
    scripts={props.statusUrl ? ["/public/assets/waiting.js"] : []}
  >
    {props.panel ? (
      <div class="panel">
        <h1 class="panel-title">{props.title}</h1>
        {props.reference && (
          <p class="panel-body">
            Your payment reference is <strong>{props.reference}</strong>
          </p>
        )}
      </div>
    ) : (
      <h1 class="heading-l">{props.title}</h1>
    )}
    {props.paragraphs.map((text) => (
      <p class="body">{text}</p>
    ))}
    {props.statusUrl && (
      <p class="body" data-status-url={props.statusUrl} role="status">
        <a href={props.checkAgainUrl ?? ""}>Check again</a>
      </p>
    )}
    {props.returnUrl && (
      <p class="body">
        <a class="button" href={props.returnUrl}>
          {props.returnLabel ?? `Return to ${props.serviceName}`}
        </a>
      </p>
    )}
  </Layout>
);

export const UnavailablePage: FC<{ nonce: string }> = ({ nonce }) => (
  <Layout title="Sorry, the service is unavailable" nonce={nonce}>
    <h1 class="heading-l">Sorry, the service is unavailable</h1>
    <p class="body">Something went wrong on our side. Try again later.</p>
    <p class="body">If you were paying, do not pay again before you have checked with the service you were using.</p>
  </Layout>
);

/** A fault while a card payment was being processed: the outcome may not be known, so never say "no money taken". */
export const PaymentUncertainPage: FC<{ nonce: string; cardPageUrl: string }> = ({ nonce, cardPageUrl }) => (
  <Layout title="We could not confirm your payment" nonce={nonce}>
    <h1 class="heading-l">We could not confirm your payment</h1>
    <p class="body">Something went wrong on our side while your payment was being processed. Do not pay again.</p>
    <p class="body">
      In a few minutes, <a href={cardPageUrl}>check the status of your payment</a>: it will show whether your payment was taken.
    </p>
  </Layout>
);
