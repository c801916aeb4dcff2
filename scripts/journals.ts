/**
 * `npm run journals -- list|rejects|download|feedback|make-feedback ...`: finance staff's terminal access to
 * the GL journals and the ledger's feedback files.
 * Talks to the portal's /finance API (the finance token locally; a Cloudflare Access service token
 * in front of a deployed portal), shows download progress and verifies every file's SHA-256.
 */
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  ACCEPTED_CODE,
  type FeedbackDecisions,
  feedbackFileName,
  type ReturnStatus,
  renderFeedbackBatch,
} from "../src/domain/ledgerFeedback.ts";
import type { NamedFeedbackOutcome, JournalSummary as ServiceJournalSummary } from "../src/services/journals.ts";
import {
  CommandFailed,
  type CommandSpec,
  exit,
  type Output,
  runCli,
  str,
  table,
  UsageError,
  userPath,
  type Values,
} from "./lib/cli.ts";
import { readDevVars } from "./lib/platform.ts";

/** One journal of GET /finance/api/journals: the service's summary with download addresses. */
type JournalSummary = Omit<ServiceJournalSummary, "files" | "manifest"> & {
  files: Array<ServiceJournalSummary["files"][number] & { url: string }>;
  manifest: { fileName: string; url: string } | null;
};

/** The name a journal's manifest goes by in the API (services/journals.ts MANIFEST). */
const MANIFEST_FILE = "manifest.json";

interface Connection {
  baseUrl: string;
  headers: Record<string, string>;
}

interface JournalsCommand extends CommandSpec {
  run: (connection: Connection, values: Values) => Promise<Output>;
}

const CONNECTION_OPTIONS = {
  url: { type: "string", value: "URL", help: "portal base URL (default http://localhost:8787, or $PAYBC_URL)" },
  token: { type: "string", value: "TOKEN", help: "finance token (default $FINANCE_TOKEN, else .dev.vars)" },
  "access-client-id": { type: "string", value: "ID", help: "Cloudflare Access service token (or $CF_ACCESS_CLIENT_ID)" },
  "access-client-secret": { type: "string", value: "SECRET", help: "(or $CF_ACCESS_CLIENT_SECRET)" },
} as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A partner as finance staff know it: number, then name (the name may be gone with the partner). */
function partnerLabel(pbcRefNumber: string, name: string | null | undefined): string {
  return name ? `${pbcRefNumber} ${name}` : pbcRefNumber;
}

function connection(values: Values): Connection {
  const baseUrl = (str(values, "url") ?? process.env.PAYBC_URL ?? "http://localhost:8787").replace(/\/+$/, "");
  if (!/^https?:\/\/[^/\s]+/.test(baseUrl)) throw new UsageError(`--url must be an http(s) URL, not "${baseUrl}"`);
  const clientId = str(values, "access-client-id") ?? process.env.CF_ACCESS_CLIENT_ID;
  const clientSecret = str(values, "access-client-secret") ?? process.env.CF_ACCESS_CLIENT_SECRET;
  if (clientId && clientSecret)
    return { baseUrl, headers: { "CF-Access-Client-Id": clientId, "CF-Access-Client-Secret": clientSecret } };
  const token = str(values, "token") ?? process.env.FINANCE_TOKEN ?? readDevVars().FINANCE_TOKEN;
  if (!token) throw new UsageError("no credentials: give --token or set FINANCE_TOKEN");
  return { baseUrl, headers: { Authorization: `Bearer ${token}` } };
}

async function call(connection: Connection, path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${connection.baseUrl}${path}`, {
      ...init,
      headers: { ...connection.headers, ...(init.headers ?? {}) },
    });
  } catch (error) {
    throw new UsageError(`cannot reach ${connection.baseUrl}: ${(error as Error).message}`);
  }
  if (response.status === 401) throw new UsageError("the portal refused these credentials (finance staff only)");
  if (!response.ok) {
    const text = await response.text();
    throw new UsageError(`${response.status} from the portal: ${text.slice(0, 300)}`);
  }
  return response;
}

const list: JournalsCommand = {
  summary: "list the journals, newest first",
  usage: "list [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--partner N]",
  options: {
    from: { type: "string", value: "yyyy-MM-dd", help: "GL dates from this one" },
    to: { type: "string", value: "yyyy-MM-dd", help: "GL dates up to this one" },
    partner: { type: "string", value: "N", help: "one partner's journals (pbcRefNumber)" },
  },
  required: [],
  check(values) {
    for (const name of ["from", "to"]) {
      const value = str(values, name);
      if (value !== undefined && !DATE.test(value)) throw new UsageError(`--${name} must be a date yyyy-MM-dd, not "${value}"`);
    }
  },
  async run(connection, values) {
    const query = new URLSearchParams();
    for (const name of ["from", "to", "partner"]) {
      const value = str(values, name);
      if (value) query.set(name, value);
    }
    const { journals, totals } = (await (await call(connection, `/finance/api/journals?${query}`)).json()) as {
      journals: JournalSummary[];
      totals: { revenue: string; refunds: string; net: string };
    };
    const rows = journals.map((j) => [
      String(j.id),
      j.glDate,
      partnerLabel(j.pbcRefNumber, j.partnerName),
      String(j.sequence),
      j.kind === "refund" ? "Refund" : "Revenue",
      j.amount ?? "",
      j.status,
      String(j.lineCount ?? ""),
      j.debitTotal ?? "",
      j.creditTotal ?? "",
    ]);
    const text = journals.length
      ? `${table([["ID", "GL date", "Partner", "Seq", "Type", "Amount", "Status", "Lines", "Debits", "Credits"], ...rows])}\nPosted: revenue ${totals.revenue}, refunds ${totals.refunds}, net ${totals.net}`
      : "No journals match.";
    return { json: journals, text };
  },
};

interface RejectRow {
  pbcRefNumber: string;
  partnerName: string | null;
  pbcTxnNumber: string;
  glDate: string;
  lineNumber: number;
  revenueAccount: string;
  amount: string;
  glErrorCode: string | null;
  glErrorMessage: string | null;
}

const rejects: JournalsCommand = {
  summary: "needs attention: the revenue lines the ledger rejected, with its message",
  usage: "rejects [--partner N]",
  options: {
    partner: { type: "string", value: "N", help: "one partner's rejected lines (pbcRefNumber)" },
  },
  required: [],
  notes: ["A line leaves the list once the partner corrects it with a revenue update and it is posted again."],
  check(values) {
    const partner = str(values, "partner");
    if (partner !== undefined && !/^\d{1,10}$/.test(partner)) {
      throw new UsageError(`--partner must be a PayBC reference number, not "${partner}"`);
    }
  },
  async run(connection, values) {
    const query = new URLSearchParams();
    const partner = str(values, "partner");
    if (partner) query.set("partner", partner);
    const body = (await (await call(connection, `/finance/api/rejects?${query}`)).json()) as {
      rejects: RejectRow[];
      limit: number;
    };
    const rows = body.rejects.map((r) => [
      r.glDate,
      partnerLabel(r.pbcRefNumber, r.partnerName),
      r.pbcTxnNumber,
      String(r.lineNumber),
      r.revenueAccount,
      r.amount,
      `${r.glErrorCode ? `${r.glErrorCode}: ` : ""}${r.glErrorMessage ?? "(no message)"}`,
    ]);
    const text = body.rejects.length
      ? [
          table([["GL date", "Partner", "Transaction", "Line", "Account", "Amount", "Ledger's message"], ...rows]),
          ...(body.rejects.length >= body.limit ? [`(the ${body.limit} newest; fix these to see older ones)`] : []),
        ].join("\n")
      : partner
        ? `No rejected lines for partner ${partner}.`
        : "No rejected lines: nothing needs attention.";
    return { json: body.rejects, text };
  },
};

function human(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** The files `download --file` accepts: the journal's own files, then its manifest. */
const FILE_NAMES = ["journal.csv", "feeder-GA", "feeder-GI", "trigger-GA", "trigger-GI", "detail.csv", MANIFEST_FILE];

interface Wanted {
  name: string;
  fileName: string;
  url: string;
  /** The SHA-256 the list gave; the manifest's is known only from its download's header. */
  sha256: string | null;
  size: number | null;
}

const download: JournalsCommand = {
  summary: "download a journal's files and its manifest, verifying each one's SHA-256",
  usage: `download --id N [--file ${FILE_NAMES.join("|")} ...] [--out DIR]`,
  options: {
    id: { type: "string", value: "N", help: "the journal's id (see list)" },
    file: {
      type: "string",
      multiple: true,
      value: "NAME",
      help: `only this file (repeatable): ${FILE_NAMES.join(", ")}`,
    },
    out: { type: "string", value: "DIR", help: "where to write them (default the current directory)" },
  },
  required: ["id"],
  notes: [
    "Without --file: every file of the journal and its manifest. The manifest holds the control totals",
    "(debits, credits, line and account counts); the CSV files hold data rows only.",
  ],
  check(values) {
    if (!/^\d+$/.test(str(values, "id") ?? "")) throw new UsageError("download needs --id N (see `list`)");
  },
  async run(connection, values) {
    const id = Number(str(values, "id"));
    const { journals } = (await (await call(connection, "/finance/api/journals")).json()) as { journals: JournalSummary[] };
    const journal = journals.find((j) => j.id === id);
    if (!journal) throw new UsageError(`no journal with id ${id}`);
    const available: Wanted[] = [
      ...journal.files.map((f) => ({ name: f.name, fileName: f.fileName, url: f.url, sha256: f.sha256, size: f.size })),
      ...(journal.manifest
        ? [{ name: MANIFEST_FILE, fileName: journal.manifest.fileName, url: journal.manifest.url, sha256: null, size: null }]
        : []),
    ];
    const names = (values.file as string[] | undefined) ?? [];
    const unknown = names.filter((name) => !available.some((f) => f.name === name));
    if (unknown.length > 0 || available.length === 0) {
      const has = available.map((f) => f.name).join(", ");
      throw new UsageError(
        `no ${unknown.join(", ") || "files"} for journal ${id}; ${has ? `it has: ${has}` : "it is not posted yet"}` +
          (unknown.includes(MANIFEST_FILE) ? " (a journal has its manifest once it is POSTED)" : ""),
      );
    }
    const wanted = names.length ? available.filter((f) => names.includes(f.name)) : available;
    const dir = join(
      userPath("journals", str(values, "out") ?? "."),
      `${journal.glDate}-${journal.pbcRefNumber}-${String(journal.sequence).padStart(3, "0")}`,
    );
    mkdirSync(dir, { recursive: true });
    const saved: Array<{ path: string; size: number; sha256: string }> = [];
    for (const file of wanted) {
      const response = await call(connection, file.url);
      const header = response.headers.get("X-Content-SHA256");
      const expected = file.sha256 ?? header;
      if (!expected) throw new CommandFailed(`${file.fileName}: the portal sent no SHA-256 to verify it against`);
      const total = Number(response.headers.get("Content-Length") ?? file.size ?? 0);
      const path = join(dir, file.fileName);
      const out = createWriteStream(path);
      const hash = createHash("sha256");
      let received = 0;
      let lastShown = 0;
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        received += value.byteLength;
        if (!out.write(value)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        if (process.stderr.isTTY && Date.now() - lastShown > 200) {
          lastShown = Date.now();
          process.stderr.write(
            `\r${file.fileName}: ${human(received)} of ${human(total)} (${total ? Math.floor((received / total) * 100) : 100}%)`,
          );
        }
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
      const actual = hash.digest("hex");
      if (actual !== expected || (header !== null && actual !== header)) {
        rmSync(path, { force: true });
        throw new CommandFailed(
          `${file.fileName}: checksum mismatch (expected ${expected}, got ${actual}); the file was deleted`,
        );
      }
      saved.push({ path, size: received, sha256: actual });
    }
    return {
      json: { journal: journal.id, files: saved },
      text: saved.map((f) => `${f.path}  ${human(f.size)}  sha256 ${f.sha256}  verified`).join("\n"),
    };
  },
};

const feedback: JournalsCommand = {
  summary: "process a FEEDBACK.* or ACK.* file from the ledger (the portal keeps it and applies it once)",
  usage: "feedback FILE",
  options: {},
  required: [],
  positional: { name: "path", value: "FILE", help: "the ledger's file" },
  check(values) {
    if (!str(values, "path"))
      throw new UsageError("feedback needs the file: npm run journals -- feedback FEEDBACK.F3535.20251201214139");
  },
  async run(connection, values) {
    const path = userPath("journals", str(values, "path") as string);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
    }
    const name = basename(path);
    const response = await call(connection, `/finance/api/feedback?name=${encodeURIComponent(name)}`, {
      method: "POST",
      body: new Uint8Array(bytes),
      headers: { "Content-Type": "application/octet-stream" },
    });
    const outcome = (await response.json()) as NamedFeedbackOutcome;
    const lines: string[] = [];
    if (outcome.duplicate) lines.push(`${name}: received before (file ${outcome.id}); nothing changed.`);
    else if (outcome.kind === "ACK") lines.push(`${name}: acknowledgement kept (file ${outcome.id}).`);
    else
      lines.push(
        `${name}: ${outcome.linesProcessed} lines PROCESSED, ${outcome.linesRejected} REJECT (file ${outcome.id}, ${outcome.status})`,
      );
    for (const batch of outcome.batches) {
      lines.push(
        `  batch ${batch.batchNumber} ${batch.feederFile} ${partnerLabel(batch.pbcRefNumber, batch.partnerName)} ${batch.glDate}: ${batch.result}`,
      );
      for (const rejection of batch.rejections)
        lines.push(`    ${rejection.account ?? "all lines"}: ${rejection.code} ${rejection.message}`);
    }
    for (const problem of outcome.problems) lines.push(`  not applied: ${problem}`);
    if (outcome.status === "PROBLEMS") process.exitCode = 1;
    return { json: outcome, text: lines.join("\n") };
  },
};

const CLOSED_PERIOD_MESSAGE = "GL Effective Date on the JV Detail is not within an open or future period";

const makeFeedback: JournalsCommand = {
  summary: "write the FEEDBACK file the ledger would send for a posted journal (the local round trip)",
  usage:
    "make-feedback --id N [--reject [GA:|GI:]LINE]... [--reject-batch] [--closed-period] [--code CODE] [--message TEXT] [--out DIR]",
  options: {
    id: { type: "string", value: "N", help: "the journal's id (see list)" },
    reject: { type: "string", multiple: true, value: "[GA:|GI:]LINE", help: "reject this journal line (repeatable)" },
    "reject-batch": { type: "boolean", help: "reject each whole batch" },
    "closed-period": { type: "boolean", help: "reject every line with the ledger's closed-period message" },
    code: { type: "string", value: "CODE", help: "return code of a rejection (default 1117)" },
    message: { type: "string", value: "TEXT", help: "message of a rejection (default: Distribution ACK is invalid)" },
    out: { type: "string", value: "DIR", help: "where to write it (default the current directory)" },
  },
  required: ["id"],
  notes: ["Every line is accepted (0000) except the --reject lines. Process the file with: npm run journals -- feedback FILE"],
  check(values) {
    if (!/^\d+$/.test(str(values, "id") ?? "")) throw new UsageError("make-feedback needs --id N (see `list`)");
  },
  async run(connection, values) {
    const id = Number(str(values, "id"));
    const { journals } = (await (await call(connection, "/finance/api/journals")).json()) as { journals: JournalSummary[] };
    const journal = journals.find((j) => j.id === id);
    if (!journal) throw new UsageError(`no journal with id ${id}`);
    const feeders = journal.files.filter((file) => file.name.startsWith("feeder-"));
    if (feeders.length === 0) throw new UsageError(`journal ${id} has no feeder file yet (is it POSTED?)`);
    const closedPeriod = values["closed-period"] === true;
    const rejected: ReturnStatus = closedPeriod
      ? { code: "1216", message: CLOSED_PERIOD_MESSAGE }
      : { code: str(values, "code") ?? "1117", message: str(values, "message") ?? "Distribution ACK is invalid" };
    if (rejected.code === ACCEPTED_CODE) throw new UsageError("--code 0000 means accepted: give a rejection code");
    const wanted = ((values.reject as string[] | undefined) ?? []).map((spec) => {
      const match = /^(?:(GA|GI):)?(\d{1,5})$/.exec(spec);
      if (!match) throw new UsageError(`--reject ${spec}: give a journal line number, optionally after GA: or GI:`);
      return { type: match[1] ?? null, line: Number(match[2]) };
    });
    for (const w of wanted) {
      if (!feeders.some((file) => w.type === null || file.name === `feeder-${w.type}`))
        throw new UsageError(`journal ${id} has no ${w.type} feeder file`);
    }
    let text = "";
    let feederNumber = "";
    for (const file of feeders) {
      const type = file.name.slice("feeder-".length);
      const content = await (await call(connection, file.url)).text();
      feederNumber ||= content.slice(0, 4);
      const lineCount = content.split("\n").filter((line) => line.slice(6, 8) === "JD").length;
      const lines = new Map<number, ReturnStatus>();
      for (let line = 1; line <= lineCount; line++) {
        if (closedPeriod || wanted.some((w) => w.line === line && (w.type === null || w.type === type)))
          lines.set(line, rejected);
      }
      const decisions: FeedbackDecisions = { lines, ...(values["reject-batch"] === true ? { batch: rejected } : {}) };
      text += renderFeedbackBatch(content, decisions);
    }
    const dir = userPath("journals", str(values, "out") ?? ".");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, feedbackFileName(feederNumber, new Date()));
    writeFileSync(path, text);
    return { json: { path }, text: `${path}\nProcess it with: npm run journals -- feedback ${path}` };
  },
};

const code = await runCli<JournalsCommand>(
  {
    program: "npm run journals --",
    description: [
      "GL journals for finance staff, from a running portal's /finance API: locally the finance token,",
      "in front of a deployed portal a Cloudflare Access service token.",
    ],
    commands: { list, rejects, download, feedback, "make-feedback": makeFeedback },
    globalOptions: CONNECTION_OPTIONS,
    execute: async (_name, command, values) => command.run(connection(values), values),
  },
  process.argv.slice(2),
);
await exit(code);
