import type { FC } from "hono/jsx";
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
          <th scope="col">Created</th>
          <th scope="col">Files</th>
        </tr>
      </thead>
      <tbody>
        {journals.length === 0 && (
          <tr>
            <td colspan={11}>No journals match.</td>
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
            <td>{journal.createdAt}</td>
            <td>
              {journal.files.map((file) => (
                <div>
                  <a href={file.url} download={file.fileName}>
                    {file.name}
                  </a>
                </div>
              ))}
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
      JSON: <code>/finance/api/journals</code>. Terminal: <code>npm run journals -- list</code>.
    </p>
  </Layout>
);
