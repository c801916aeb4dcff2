import type { FC } from "hono/jsx";
import type { RejectedLineRow } from "../services/journals.ts";
import { Layout } from "./layout.tsx";

export const FinanceLoginPage: FC<{ nonce: string; error: string | null }> = ({ nonce, error }) => (
  <Layout title="Finance sign in" serviceName="Finance" nonce={nonce}>
    <h1 class="heading-l">Finance sign in</h1>
    {error && (
      <div class="error-summary" role="alert" tabindex={-1}>
        <h2 class="error-summary-title">There is a problem</h2>
        <ul class="error-summary-list">
          <li>
            <a href="#token">{error}</a>
          </li>
        </ul>
      </div>
    )}
    <form method="post" action="/finance/login">
      <div class="form-group">
        <label class="label" for="token">
          Finance token
        </label>
        <input class="input input-width-30" id="token" name="token" type="password" autocomplete="off" />
      </div>
      <button type="submit" class="button">
        Sign in
      </button>
    </form>
  </Layout>
);

interface JournalRow {
  id: number;
  glDate: string;
  pbcRefNumber: string;
  sequence: number;
  kind: "revenue" | "refund";
  amount: string | null;
  status: string;
  lineCount: number | null;
  debitTotal: string | null;
  creditTotal: string | null;
  createdAt: string;
  files: Array<{ name: string; fileName: string; url: string; sha256: string }>;
  manifest: { fileName: string; url: string } | null;
  ledger: Array<{ fileName: string; batchType: string; status: string }>;
}

export const FinanceJournalsPage: FC<{
  nonce: string;
  journals: JournalRow[];
  /** Over the posted journals listed; refunds negative. */
  totals: { revenue: string; refunds: string; net: string } | null;
  filters: { from?: string; to?: string; partner?: string };
  error: string | null;
  user: string;
  /** How this user signs out: a finance-token session here, or Cloudflare Access's own logout. */
  signOut: "session" | "access" | null;
}> = ({ nonce, journals, totals, filters, error, user, signOut }) => (
  <Layout title="GL journals" serviceName="Finance" nonce={nonce}>
    <h1 class="heading-l">GL journals</h1>
    <p class="body">
      Signed in as {user}. Summarized revenue and cash journals posted by the nightly run, and refund (reversal) journals: their
      amounts are shown negative.
    </p>
    {signOut === "session" && (
      <form method="post" action="/finance/logout">
        <button type="submit" class="button button-secondary">
          Sign out
        </button>
      </form>
    )}
    {signOut === "access" && (
      <p class="body">
        <a href="/cdn-cgi/access/logout">Sign out</a>
      </p>
    )}
    {error && (
      <div class="error-summary" role="alert" tabindex={-1}>
        <h2 class="error-summary-title">There is a problem</h2>
        <p>{error}</p>
      </div>
    )}
    <form method="get" action="/finance/journals" class="date-inputs">
      <div class="form-group">
        <label class="label" for="from">
          GL date from
        </label>
        <input
          class="input input-width-20"
          id="from"
          name="from"
          type="text"
          value={filters.from ?? ""}
          placeholder="yyyy-MM-dd"
        />
      </div>
      <div class="form-group">
        <label class="label" for="to">
          GL date to
        </label>
        <input class="input input-width-20" id="to" name="to" type="text" value={filters.to ?? ""} placeholder="yyyy-MM-dd" />
      </div>
      <div class="form-group">
        <label class="label" for="partner">
          Partner (PayBC reference)
        </label>
        <input
          class="input input-width-20"
          id="partner"
          name="partner"
          type="text"
          inputmode="numeric"
          value={filters.partner ?? ""}
        />
      </div>
      <div class="form-group">
        <button type="submit" class="button">
          Filter
        </button>
      </div>
    </form>
    <table class="result-table">
      <caption class="visually-hidden">Journals</caption>
      <thead>
        <tr>
          <th scope="col">GL date</th>
          <th scope="col">Partner</th>
          <th scope="col">Journal</th>
          <th scope="col">Type</th>
          <th scope="col">Amount</th>
          <th scope="col">Lines</th>
          <th scope="col">Debits</th>
          <th scope="col">Credits</th>
          <th scope="col">Status</th>
          <th scope="col">Ledger</th>
          <th scope="col">Created</th>
          <th scope="col">Files</th>
        </tr>
      </thead>
      <tbody>
        {journals.length === 0 && (
          <tr>
            <td colspan={12}>No journals match.</td>
          </tr>
        )}
        {journals.map((journal) => (
          <tr>
            <td>{journal.glDate}</td>
            <td>{journal.pbcRefNumber}</td>
            <td>{journal.sequence}</td>
            <td>{journal.kind === "refund" ? "Refund" : "Revenue"}</td>
            <td>{journal.amount ?? ""}</td>
            <td>{journal.lineCount ?? ""}</td>
            <td>{journal.debitTotal ?? ""}</td>
            <td>{journal.creditTotal ?? ""}</td>
            <td>{journal.status}</td>
            <td>
              {journal.ledger.map((file) => (
                <div>
                  {file.batchType}: {file.status === "SENT" ? "awaiting feedback" : file.status}
                </div>
              ))}
            </td>
            <td>{journal.createdAt}</td>
            <td>
              {journal.files.map((file) => (
                <div>
                  <a href={file.url} download={file.fileName}>
                    {file.name}
                  </a>
                </div>
              ))}
              {journal.manifest && (
                <div>
                  <a href={journal.manifest.url} download={journal.manifest.fileName}>
                    manifest (what each file holds, with its SHA-256)
                  </a>
                </div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    {totals && (
      <p class="body">
        Posted in this list: revenue {totals.revenue}, refunds {totals.refunds}, net {totals.net} CAD.
      </p>
    )}
    <p class="body">
      JSON: <code>/finance/api/journals</code>. Terminal: <code>npm run journals -- list</code>.{" "}
      <a href="/finance/feedback">Ledger feedback files</a>. <a href="/finance/rejects">Needs attention</a>: lines the ledger
      rejected.
    </p>
  </Layout>
);

interface FeedbackBatchRow {
  batchNumber: number;
  feederFile: string;
  pbcRefNumber: string;
  glDate: string;
  result: string;
  linesProcessed: number;
  linesRejected: number;
  rejections: Array<{ account: string | null; code: string; message: string }>;
}

interface FeedbackRow {
  id: number;
  fileName: string;
  kind: string;
  receivedBy: string;
  receivedAt: string;
  status: string;
  linesProcessed: number;
  linesRejected: number;
  problems: string[];
}

const OutcomeSummary: FC<{
  outcome: {
    fileName: string;
    kind: string;
    duplicate: boolean;
    batches: FeedbackBatchRow[];
    problems: string[];
    linesProcessed: number;
    linesRejected: number;
  };
}> = ({ outcome }) => (
  <section role="status">
    <h2 class="heading-s">Processed {outcome.fileName}</h2>
    {outcome.duplicate ? (
      <p class="body">This file was received before: nothing was changed.</p>
    ) : outcome.kind === "ACK" ? (
      <p class="body">Acknowledgement kept. It changes nothing.</p>
    ) : (
      <p class="body">
        {outcome.linesProcessed} lines accepted (PROCESSED), {outcome.linesRejected} rejected (REJECT).
      </p>
    )}
    {outcome.batches.length > 0 && (
      <table class="result-table">
        <caption class="visually-hidden">Batches in this file</caption>
        <thead>
          <tr>
            <th scope="col">Batch</th>
            <th scope="col">Feeder file</th>
            <th scope="col">Partner</th>
            <th scope="col">GL date</th>
            <th scope="col">Result</th>
            <th scope="col">Ledger message</th>
          </tr>
        </thead>
        <tbody>
          {outcome.batches.map((batch) => (
            <tr>
              <td>{batch.batchNumber}</td>
              <td>{batch.feederFile}</td>
              <td>{batch.pbcRefNumber}</td>
              <td>{batch.glDate}</td>
              <td>{batch.result}</td>
              <td>
                {batch.rejections.map((rejection) => (
                  <div>
                    {rejection.account ?? "all lines"}: {rejection.code} {rejection.message}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    {outcome.problems.length > 0 && (
      <div>
        <h3 class="heading-s">Not matched to anything this portal sent (nothing applied for these)</h3>
        <ul class="list">
          {outcome.problems.map((problem) => (
            <li>{problem}</li>
          ))}
        </ul>
      </div>
    )}
  </section>
);

export const FinanceFeedbackPage: FC<{
  nonce: string;
  files: FeedbackRow[];
  outcome: Parameters<typeof OutcomeSummary>[0]["outcome"] | null;
  error: string | null;
  user: string;
}> = ({ nonce, files, outcome, error, user }) => (
  <Layout title="Ledger feedback" serviceName="Finance" nonce={nonce}>
    <h1 class="heading-l">Ledger feedback</h1>
    <p class="body">
      Signed in as {user}. The ledger answers each feeder file with a FEEDBACK file: accepted lines become PROCESSED, rejected
      lines REJECT with the ledger's message. Files dropped in the <code>ledger-inbox/</code> folder are read every 5 minutes;
      upload one here to process it now. <a href="/finance/journals">GL journals</a>.
    </p>
    {error && (
      <div class="error-summary" role="alert" tabindex={-1}>
        <h2 class="error-summary-title">There is a problem</h2>
        <ul class="error-summary-list">
          <li>
            <a href="#file">{error}</a>
          </li>
        </ul>
      </div>
    )}
    {outcome && <OutcomeSummary outcome={outcome} />}
    <form method="post" action="/finance/feedback" enctype="multipart/form-data">
      <div class="form-group">
        <label class="label" for="file">
          FEEDBACK or ACK file from the ledger
        </label>
        <input class="input" id="file" name="file" type="file" />
      </div>
      <button type="submit" class="button">
        Upload and process
      </button>
    </form>
    <table class="result-table">
      <caption class="visually-hidden">Feedback files received</caption>
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">Kind</th>
          <th scope="col">Received</th>
          <th scope="col">By</th>
          <th scope="col">Status</th>
          <th scope="col">Accepted</th>
          <th scope="col">Rejected</th>
          <th scope="col">Problems</th>
        </tr>
      </thead>
      <tbody>
        {files.length === 0 && (
          <tr>
            <td colspan={8}>No feedback files yet.</td>
          </tr>
        )}
        {files.map((file) => (
          <tr>
            <td>{file.fileName}</td>
            <td>{file.kind}</td>
            <td>{file.receivedAt}</td>
            <td>{file.receivedBy}</td>
            <td>{file.status}</td>
            <td>{file.linesProcessed}</td>
            <td>{file.linesRejected}</td>
            <td>{file.problems.join("; ")}</td>
          </tr>
        ))}
      </tbody>
    </table>
    <p class="body">
      JSON: <code>/finance/api/feedback</code>. Terminal: <code>npm run journals -- feedback FILE</code>.
    </p>
  </Layout>
);

/** Needs attention: every line the ledger rejected, with what it said, until a revenue update fixes it. */
export const FinanceRejectsPage: FC<{
  nonce: string;
  rejects: RejectedLineRow[];
  limit: number;
  partner: string | undefined;
  error: string | null;
  user: string;
}> = ({ nonce, rejects, limit, partner, error, user }) => (
  <Layout title="Needs attention" serviceName="Finance" nonce={nonce}>
    <h1 class="heading-l">Needs attention</h1>
    <p class="body">
      Signed in as {user}. Revenue lines the ledger rejected (REJECT), with the ledger's message. The partner corrects a line with
      a revenue update; it is then posted again and leaves this list.
    </p>
    {error && (
      <div class="error-summary" role="alert" tabindex={-1}>
        <h2 class="error-summary-title">There is a problem</h2>
        <p>{error}</p>
      </div>
    )}
    <form method="get" action="/finance/rejects" class="date-inputs">
      <div class="form-group">
        <label class="label" for="partner">
          Partner (PayBC reference number)
        </label>
        <input class="input input-width-20" id="partner" name="partner" inputmode="numeric" value={partner ?? ""} />
      </div>
      <button type="submit" class="button button-secondary">
        Show
      </button>
    </form>
    {rejects.length === 0 ? (
      <p class="body">
        {error ? "" : partner ? `No rejected lines for partner ${partner}.` : "No rejected lines: nothing needs attention."}
      </p>
    ) : (
      <table class="result-table">
        <caption class="visually-hidden">Rejected revenue lines</caption>
        <thead>
          <tr>
            <th scope="col">GL date</th>
            <th scope="col">Partner</th>
            <th scope="col">Transaction</th>
            <th scope="col">Line</th>
            <th scope="col">Account</th>
            <th scope="col">Amount</th>
            <th scope="col">Ledger's message</th>
          </tr>
        </thead>
        <tbody>
          {rejects.map((line) => (
            <tr>
              <td>{line.glDate}</td>
              <td>
                {line.pbcRefNumber}
                {line.partnerName && ` ${line.partnerName}`}
              </td>
              <td>{line.pbcTxnNumber}</td>
              <td>{line.lineNumber}</td>
              <td>{line.revenueAccount}</td>
              <td>${line.amount}</td>
              <td>
                {line.glErrorCode && `${line.glErrorCode}: `}
                {line.glErrorMessage ?? "(no message)"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    {rejects.length >= limit && <p class="body">Showing the {limit} newest; fix these to see older ones.</p>}
    <p class="body">
      JSON: <code>/finance/api/rejects</code>. Terminal: <code>npm run journals -- rejects</code>.{" "}
      <a href="/finance/journals">GL journals</a>.
    </p>
  </Layout>
);
