import type { FC } from "hono/jsx";
import type { OutboxMessage } from "../db/schema.ts";
import { Layout } from "./layout.tsx";

const Field: FC<{ id: string; label: string; value?: string; hint?: string; width?: string }> = (props) => (
  <div class="form-group">
    <label class="label" for={props.id}>
      {props.label}
    </label>
    {props.hint && (
      <div class="hint" id={`${props.id}-hint`}>
        {props.hint}
      </div>
    )}
    <input
      class={`input ${props.width ?? "input-width-30"}`}
      id={props.id}
      name={props.id}
      type="text"
      value={props.value ?? ""}
      aria-describedby={props.hint ? `${props.id}-hint` : undefined}
    />
  </div>
);

export const DemoPage: FC<{ nonce: string; today: string; txnNumber: string }> = ({ nonce, today, txnNumber }) => (
  <Layout title="Demo Ministry: pay a fee" serviceName="Demo Ministry" nonce={nonce}>
    <h1 class="heading-l">Demo Ministry: pay a fee</h1>
    <p class="body">
      This page plays the part of a partner service (PayBC reference 10006). It signs a direct sale request with the demo API key
      and sends you to the card page. Test cards are listed in the README.
    </p>
    <form method="get" action="/demo/pay">
      <Field id="description" label="Description" value="Direct Sale" />
      <Field id="trnNumber" label="Transaction number" value={txnNumber} hint="Unique per payment (pbcTxnNumber)" />
      <Field
        id="trnAmount"
        label="Amount (CAD)"
        value="100.00"
        hint="Two decimals; must equal the sum of the revenue lines"
        width="input-width-20"
      />
      <div class="form-group">
        <label class="label" for="paymentMethod">
          Payment method
        </label>
        <select id="paymentMethod" name="paymentMethod" class="input input-width-20">
          <option value="CC">CC: credit card</option>
          <option value="VI">VI: Visa debit</option>
        </select>
      </div>
      <fieldset class="fieldset">
        <legend class="fieldset-legend">Revenue lines</legend>
        <Field id="account1" label="Line 1 account" value="039.18ACE.14691.8928.1800000.000000.0000" />
        <Field id="amount1" label="Line 1 amount" value="75.00" width="input-width-20" />
        <Field id="account2" label="Line 2 account" value="039.18ACE.14692.8928.1800000.000000.0000" />
        <Field id="amount2" label="Line 2 amount" value="25.00" width="input-width-20" />
        <Field id="account3" label="Line 3 account" />
        <Field id="amount3" label="Line 3 amount" width="input-width-20" />
      </fieldset>
      <Field id="glDate" label="GL date" value={today} width="input-width-20" />
      <Field id="ref1" label="Reference 1 (optional)" />
      <Field id="ref2" label="Reference 2 (optional)" />
      <Field id="ref3" label="Reference 3 (optional)" />
      <button type="submit" class="button">
        Continue to payment
      </button>
    </form>
  </Layout>
);

export const DemoResultPage: FC<{ nonce: string; verified: boolean; params: Array<[string, string]> }> = ({
  nonce,
  verified,
  params,
}) => {
  const approved = params.find(([key]) => key === "trnApproved")?.[1] === "1";
  const message = params.find(([key]) => key === "messageText")?.[1] ?? "";
  return (
    <Layout title="Demo Ministry: payment result" serviceName="Demo Ministry" nonce={nonce}>
      <h1 class="heading-l">{approved ? "Payment received" : `Payment not completed: ${message}`}</h1>
      <p class="body">
        Signature (hashValue):{" "}
        {verified ? <strong class="tag tag-ok">verified</strong> : <strong class="tag tag-bad">does not match</strong>}
      </p>
      <table class="result-table">
        <caption class="visually-hidden">Parameters returned by the portal</caption>
        <thead>
          <tr>
            <th scope="col">Parameter</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {params.map(([key, value]) => (
            <tr>
              <th scope="row">{key}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="body">
        <a href="/demo">Make another payment</a>
      </p>
    </Layout>
  );
};

/** Local only (EMAIL_SENDER=capture): the receipts the portal would have sent. */
export const OutboxPage: FC<{ nonce: string; messages: OutboxMessage[] }> = ({ nonce, messages }) => (
  <Layout title="Outbox" serviceName="Demo Ministry" nonce={nonce}>
    <h1 class="heading-l">Outbox</h1>
    <p class="body">Receipt emails captured locally instead of being sent (newest first).</p>
    {messages.length === 0 && <p class="body">No messages yet.</p>}
    {messages.map((message) => (
      <section class="notice" aria-label={message.subject}>
        <h2 class="heading-s">{message.subject}</h2>
        <p class="body">
          To {message.toAddress} at {message.createdAt} ({message.language})
        </p>
        <pre>{message.textBody}</pre>
      </section>
    ))}
  </Layout>
);
