import type { Child, FC } from "hono/jsx";
import { formatPacificTime } from "../domain/businessTime.ts";
import type { JournalDetail, RejectedLineRow } from "../services/journals.ts";
import { Layout } from "./layout.tsx";

/** Who is signed in, until when (a finance-token session), and how they sign out. */
export interface FinanceViewer {
  user: string;
  /** A finance-token session here, or Cloudflare Access's own logout. */
  signOut: "session" | "access" | null;
  /** When a finance-token session ends (ISO UTC); null under Cloudflare Access. */
  sessionEnds: string | null;
}

/** An instant in Pacific time with its zone ("2026-11-30 17:05 PST"); the ISO instant stays in the markup. */
export const PacificTime: FC<{ at: string | null | undefined }> = ({ at }) =>
  at ? <time datetime={at}>{formatPacificTime(at)}</time> : null;

/** A partner as finance staff know it: number, then name. */
const Partner: FC<{ number: string; name: string | null | undefined }> = ({ number, name }) => (
  <>
    {number}
    {name && <div>{name}</div>}
  </>
);

/** Wide tables scroll inside their own box, so the page itself reflows at 320 px (WCAG 1.4.10). */
const ScrollTable: FC<{ label: string; children?: Child }> = ({ label, children }) => (
  // A named section is a region landmark; tabindex lets a keyboard user scroll it.
  <section class="table-scroll" aria-label={label} tabindex={0}>
    {children}
  </section>
);

/** The page's problem, if any; linked to the field it is about when there is one. */
const ErrorSummary: FC<{ error: string | null | undefined; field?: string }> = ({ error, field }) =>
  error ? (
    <div class="error-summary" role="alert" tabindex={-1}>
      <h2 class="error-summary-title">There is a problem</h2>
      {field ? (
        <ul class="error-summary-list">
          <li>
            <a href={`#${field}`}>{error}</a>
          </li>
        </ul>
      ) : (
        <p>{error}</p>
      )}
    </div>
  ) : null;

const SignedIn: FC<{ viewer: FinanceViewer }> = ({ viewer }) => (
  <div class="signed-in">
    <p class="body">
      Signed in as <strong>{viewer.user}</strong>
      {viewer.sessionEnds && (
        <>
          {" "}
          until <PacificTime at={viewer.sessionEnds} />
        </>
      )}
      .
    </p>
    {viewer.signOut === "session" && (
      <form method="post" action="/finance/logout">
        <button type="submit" class="button button-secondary">
          Sign out
        </button>
      </form>
    )}
    {viewer.signOut === "access" && (
      <p class="body">
        <a href="/cdn-cgi/access/logout">Sign out</a>
      </p>
    )}
  </div>
);

const TOTALS_NOTE = "Totals are in the manifest, not in the CSV files.";

export const FinanceLoginPage: FC<{ nonce: string; error: string | null }> = ({ nonce, error }) => (
  <Layout title="Finance sign in" serviceName="Finance" nonce={nonce}>
    <h1 class="heading-l">Finance sign in</h1>
    <ErrorSummary error={error} field="token" />
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

interface FileLink {
  name: string;
  fileName: string;
  url: string;
  sha256: string;
}

interface JournalRow {
  id: number;
  glDate: string;
  pbcRefNumber: string;
  partnerName: string | null;
  sequence: number;
  kind: "revenue" | "refund";
  amount: string | null;
  status: string;
  lineCount: number | null;
  debitTotal: string | null;
  creditTotal: string | null;
  createdAt: string;
  postedAt: string | null;
  files: FileLink[];
  manifest: { fileName: string; url: string } | null;
  ledger: Array<{ fileName: string; batchType: string; status: string; settledAt: string | null }>;
}

const FileLinks: FC<{ journal: Pick<JournalRow, "files" | "manifest"> }> = ({ journal }) => (
  <>
    {journal.files.map((file) => (
      <div>
        <a class="cell-link" href={file.url} download={file.fileName}>
          {file.name}
        </a>
      </div>
    ))}
    {journal.manifest && (
      <div>
        <a class="cell-link" href={journal.manifest.url} download={journal.manifest.fileName}>
          manifest (totals, and each file's SHA-256)
        </a>
      </div>
    )}
  </>
);

export const FinanceJournalsPage: FC<{
  nonce: string;
  journals: JournalRow[];
  /** Over the posted journals listed; refunds negative. */
  totals: { revenue: string; refunds: string; net: string } | null;
  filters: { from?: string; to?: string; partner?: string };
  error: string | null;
  viewer: FinanceViewer;
}> = ({ nonce, journals, totals, filters, error, viewer }) => (
  <Layout title="GL journals" serviceName="Finance" nonce={nonce}>
    <h1 class="heading-l">GL journals</h1>
    <SignedIn viewer={viewer} />
    <p class="body">
      Summarized revenue and cash journals posted by the nightly run, and refund (reversal) journals: their amounts are shown
      negative. Times are Pacific. <a href="/finance/rejects">Needs attention</a>: lines the ledger rejected.
    </p>
    <ErrorSummary error={error} />
    <form method="get" action="/finance/journals" class="filter-form">
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
    <p class="body">{TOTALS_NOTE}</p>
    <ScrollTable label="Journals">
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
            <th scope="col">Posted</th>
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
              <td>
                <Partner number={journal.pbcRefNumber} name={journal.partnerName} />
              </td>
              <td>
                <a class="cell-link" href={`/finance/journals/${journal.id}`}>
                  <span class="visually-hidden">Journal </span>
                  {journal.sequence}
                  <span class="visually-hidden">
                    {" "}
                    of {journal.pbcRefNumber} for {journal.glDate}
                  </span>
                </a>
              </td>
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
              <td>
                <PacificTime at={journal.postedAt} />
              </td>
              <td>
                <FileLinks journal={journal} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
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

type JournalPageData = Omit<JournalDetail, "files" | "manifest"> & Pick<JournalRow, "files" | "manifest">;

/** One journal: what it is, its control totals, the ledger's answer per feeder file, its lines and its downloads. */
export const FinanceJournalPage: FC<{ nonce: string; journal: JournalPageData; viewer: FinanceViewer }> = ({
  nonce,
  journal,
  viewer,
}) => {
  const kind = journal.kind === "refund" ? "Refund" : "Revenue";
  const title = `${kind} journal ${journal.glDate}, partner ${journal.pbcRefNumber}, run ${journal.sequence}`;
  const linesLabel = journal.kind === "refund" ? "Refund lines" : "Revenue lines";
  return (
    <Layout title={title} serviceName="Finance" nonce={nonce}>
      <p class="body">
        <a href="/finance/journals">GL journals</a>
      </p>
      <h1 class="heading-l">{title}</h1>
      <SignedIn viewer={viewer} />
      <dl class="summary-list">
        <div class="summary-row">
          <dt>Partner</dt>
          <dd>
            {journal.pbcRefNumber} {journal.partnerName ?? ""}
          </dd>
        </div>
        <div class="summary-row">
          <dt>GL date</dt>
          <dd>{journal.glDate}</dd>
        </div>
        <div class="summary-row">
          <dt>Status</dt>
          <dd>{journal.status}</dd>
        </div>
        <div class="summary-row">
          <dt>Amount</dt>
          <dd>{journal.amount ?? ""}</dd>
        </div>
        <div class="summary-row">
          <dt>Created</dt>
          <dd>
            <PacificTime at={journal.createdAt} />
          </dd>
        </div>
        <div class="summary-row">
          <dt>Posted</dt>
          <dd>{journal.postedAt ? <PacificTime at={journal.postedAt} /> : "not yet"}</dd>
        </div>
      </dl>

      <h2 class="heading-m">Control totals</h2>
      <table class="result-table totals-table">
        <caption class="visually-hidden">Control totals of this journal</caption>
        <tbody>
          <tr>
            <th scope="row">Total debits</th>
            <td>{journal.totals.debitTotal}</td>
          </tr>
          <tr>
            <th scope="row">Total credits</th>
            <td>{journal.totals.creditTotal}</td>
          </tr>
          <tr>
            <th scope="row">Journal lines</th>
            <td>{journal.totals.journalLineCount}</td>
          </tr>
          <tr>
            <th scope="row">{linesLabel}</th>
            <td>{journal.totals.revenueLineCount}</td>
          </tr>
          <tr>
            <th scope="row">Accounts</th>
            <td>{journal.totals.accountCount}</td>
          </tr>
        </tbody>
      </table>

      <h2 class="heading-m">Sent to the ledger</h2>
      {journal.ledger.length === 0 ? (
        <p class="body">No feeder file yet.</p>
      ) : (
        <ScrollTable label="Feeder files">
          <table class="result-table">
            <caption class="visually-hidden">Feeder files and the ledger's answer</caption>
            <thead>
              <tr>
                <th scope="col">Feeder file</th>
                <th scope="col">Type</th>
                <th scope="col">Batch</th>
                <th scope="col">Effective date</th>
                <th scope="col">Ledger's answer</th>
                <th scope="col">Fed back at</th>
              </tr>
            </thead>
            <tbody>
              {journal.ledger.map((file) => (
                <tr>
                  <td>{file.fileName}</td>
                  <td>{file.batchType}</td>
                  <td>{file.batchNumber}</td>
                  <td>{file.effectiveDate}</td>
                  <td>{file.status === "SENT" ? "awaiting feedback" : file.status}</td>
                  <td>
                    <PacificTime at={file.settledAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}

      {journal.journals.map((part) => (
        <>
          <h2 class="heading-m">
            Journal lines, {part.batchType} ({part.journalName})
          </h2>
          <ScrollTable label={`Journal lines ${part.batchType}`}>
            <table class="result-table">
              <caption class="visually-hidden">
                Lines of journal {part.journalName}, sent in {part.fileName}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Account</th>
                  <th scope="col">Debit</th>
                  <th scope="col">Credit</th>
                  <th scope="col">Description</th>
                  <th scope="col">{linesLabel}</th>
                </tr>
              </thead>
              <tbody>
                {part.lines.map((line) => (
                  <tr>
                    <td>{line.lineNumber}</td>
                    <td>{line.account}</td>
                    <td>{line.debit ?? ""}</td>
                    <td>{line.credit ?? ""}</td>
                    <td>{line.description}</td>
                    <td>{line.revenueLineCount}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        </>
      ))}

      <h2 class="heading-m">Downloads</h2>
      <p class="body">{TOTALS_NOTE}</p>
      {journal.files.length === 0 && !journal.manifest ? (
        <p class="body">No files yet: the journal is not posted.</p>
      ) : (
        <ul class="list download-list">
          {journal.files.map((file) => (
            <li>
              <a href={file.url} download={file.fileName}>
                {file.fileName}
              </a>{" "}
              ({file.name}), SHA-256 <code class="hash">{file.sha256}</code>
            </li>
          ))}
          {journal.manifest && (
            <li>
              <a href={journal.manifest.url} download={journal.manifest.fileName}>
                {journal.manifest.fileName}
              </a>{" "}
              (manifest: totals, and each file's SHA-256)
            </li>
          )}
        </ul>
      )}
      <p class="body">
        JSON: <code>/finance/api/journals/{journal.id}</code>. Terminal:{" "}
        <code>npm run journals -- download --id {journal.id}</code>.
      </p>
    </Layout>
  );
};

interface FeedbackBatchRow {
  batchNumber: number;
  feederFile: string;
  pbcRefNumber: string;
  partnerName: string | null;
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
      <ScrollTable label="Batches in this file">
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
                <td>
                  <Partner number={batch.pbcRefNumber} name={batch.partnerName} />
                </td>
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
      </ScrollTable>
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
  viewer: FinanceViewer;
}> = ({ nonce, files, outcome, error, viewer }) => (
  <Layout title="Ledger feedback" serviceName="Finance" nonce={nonce}>
    <h1 class="heading-l">Ledger feedback</h1>
    <SignedIn viewer={viewer} />
    <p class="body">
      The ledger answers each feeder file with a FEEDBACK file: accepted lines become PROCESSED, rejected lines REJECT with the
      ledger's message. Files dropped in the <code>ledger-inbox/</code> folder are read every 5 minutes; upload one here to
      process it now. <a href="/finance/journals">GL journals</a>.
    </p>
    <ErrorSummary error={error} field="file" />
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
    <ScrollTable label="Feedback files received">
      <table class="result-table">
        <caption class="visually-hidden">Feedback files received</caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Kind</th>
            <th scope="col">Received (Pacific)</th>
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
              <td>
                <PacificTime at={file.receivedAt} />
              </td>
              <td>{file.receivedBy}</td>
              <td>{file.status}</td>
              <td>{file.linesProcessed}</td>
              <td>{file.linesRejected}</td>
              <td>{file.problems.join("; ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
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
  viewer: FinanceViewer;
}> = ({ nonce, rejects, limit, partner, error, viewer }) => (
  <Layout title="Needs attention" serviceName="Finance" nonce={nonce}>
    <h1 class="heading-l">Needs attention</h1>
    <SignedIn viewer={viewer} />
    <p class="body">
      Revenue lines the ledger rejected (REJECT), with the ledger's message. The partner corrects a line with a revenue update; it
      is then posted again and leaves this list.
    </p>
    <ErrorSummary error={error} />
    <form method="get" action="/finance/rejects" class="filter-form">
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
      <ScrollTable label="Rejected revenue lines">
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
                  <Partner number={line.pbcRefNumber} name={line.partnerName} />
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
      </ScrollTable>
    )}
    {rejects.length >= limit && <p class="body">Showing the {limit} newest; fix these to see older ones.</p>}
    <p class="body">
      JSON: <code>/finance/api/rejects</code>. Terminal: <code>npm run journals -- rejects</code>.{" "}
      <a href="/finance/journals">GL journals</a>.
    </p>
  </Layout>
);
