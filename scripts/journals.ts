/**
 * `npm run journals -- list|download|feedback|make-feedback ...`: finance staff's terminal access to
 * the GL journals and the ledger's feedback. Talks to the portal's /finance API (the finance token
 * locally; a Cloudflare Access service token in front of a deployed portal), shows download progress
 * and verifies every file's SHA-256.
 */
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import {
  ACCEPTED_CODE,
  type FeedbackDecisions,
  feedbackFileName,
  type ReturnStatus,
  renderFeedbackBatch,
} from "../src/domain/ledgerFeedback.ts";
import type { JournalSummary as ServiceJournalSummary } from "../src/services/journals.ts";
import type { FeedbackOutcome } from "../src/services/ledgerFeedback.ts";
import { readDevVars } from "./lib/platform.ts";

const USAGE = `Usage:
  npm run journals -- list [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--partner N] [--json]
  npm run journals -- download --id N [--file journal.csv|feeder-GA|feeder-GI|trigger-GA|trigger-GI|detail.csv|...] [--out DIR]
  npm run journals -- feedback FILE          process a FEEDBACK.* or ACK.* file from the ledger (upload it)
  npm run journals -- make-feedback --id N [--reject [GA:|GI:]LINE]... [--reject-batch] [--closed-period]
                       [--code CODE] [--message TEXT] [--out DIR]
      write the FEEDBACK file the ledger would send for journal N's feeder files (local walkthrough):
      every line accepted (0000) except the --reject lines; --reject-batch rejects each whole batch,
      --closed-period rejects every line with the ledger's closed-period message

Connection options:
  --url URL                 portal base URL (default http://localhost:8787, or $PAYBC_URL)
  --token TOKEN             finance token (default $FINANCE_TOKEN, else .dev.vars)
  --access-client-id ID     Cloudflare Access service token (or $CF_ACCESS_CLIENT_ID)
  --access-client-secret S  (or $CF_ACCESS_CLIENT_SECRET)`;

class UsageError extends Error {}

function fail(message: string, code = 2): never {
  process.stderr.write(`journals: ${message}\n`);
  process.exit(code);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        from: { type: "string" },
        to: { type: "string" },
        partner: { type: "string" },
        id: { type: "string" },
        file: { type: "string", multiple: true },
        reject: { type: "string", multiple: true },
        "reject-batch": { type: "boolean", default: false },
        "closed-period": { type: "boolean", default: false },
        code: { type: "string", default: "1117" },
        message: { type: "string", default: "Distribution ACK is invalid" },
        out: { type: "string", default: "." },
        json: { type: "boolean", default: false },
        url: { type: "string" },
        token: { type: "string" },
        "access-client-id": { type: "string" },
        "access-client-secret": { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`);
  }
})();

const baseUrl = (values.url ?? process.env.PAYBC_URL ?? "http://localhost:8787").replace(/\/+$/, "");

function headers(): Record<string, string> {
  const clientId = values["access-client-id"] ?? process.env.CF_ACCESS_CLIENT_ID;
  const clientSecret = values["access-client-secret"] ?? process.env.CF_ACCESS_CLIENT_SECRET;
  if (clientId && clientSecret) return { "CF-Access-Client-Id": clientId, "CF-Access-Client-Secret": clientSecret };
  const token = values.token ?? process.env.FINANCE_TOKEN ?? readDevVars().FINANCE_TOKEN;
  if (!token) throw new UsageError("no credentials: give --token or set FINANCE_TOKEN");
  return { Authorization: `Bearer ${token}` };
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, { ...init, headers: { ...headers(), ...(init.headers ?? {}) } });
  } catch (error) {
    throw new UsageError(`cannot reach ${baseUrl}: ${(error as Error).message}`);
  }
  if (response.status === 401) throw new UsageError("the portal refused these credentials (finance staff only)");
  if (!response.ok) {
    const text = await response.text();
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: the text as it came
    }
    throw new UsageError(`${response.status} from the portal: ${message}`);
  }
  return response;
}

/** One journal of GET /finance/api/journals: the portal's own summary, as JSON. */
/** A journal as /finance/api/journals answers it: the service's summary with download addresses. */
type JournalSummary = Omit<ServiceJournalSummary, "files"> & {
  files: Array<ServiceJournalSummary["files"][number] & { url: string }>;
};

async function list(): Promise<void> {
  const query = new URLSearchParams();
  if (values.from) query.set("from", values.from);
  if (values.to) query.set("to", values.to);
  if (values.partner) query.set("partner", values.partner);
  const { journals } = (await (await call(`/finance/api/journals?${query}`)).json()) as { journals: JournalSummary[] };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(journals, null, 2)}\n`);
    return;
  }
  if (journals.length === 0) {
    process.stdout.write("No journals match.\n");
    return;
  }
  const rows = journals.map((j) => [
    String(j.id),
    j.glDate,
    j.pbcRefNumber,
    String(j.sequence),
    j.status,
    String(j.lineCount ?? ""),
    j.debitTotal ?? "",
    j.creditTotal ?? "",
  ]);
  const head = ["ID", "GL date", "Partner", "Seq", "Status", "Lines", "Debits", "Credits"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const row of [head, ...rows])
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] as number)).join("  ")}\n`);
}

function human(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function download(): Promise<void> {
  if (!values.id || !/^\d+$/.test(values.id)) throw new UsageError("download needs --id N (see `list`)");
  const { journals } = (await (await call("/finance/api/journals")).json()) as { journals: JournalSummary[] };
  const journal = journals.find((j) => j.id === Number(values.id));
  if (!journal) throw new UsageError(`no journal with id ${values.id}`);
  const wanted = values.file?.length ? journal.files.filter((f) => values.file?.includes(f.name)) : journal.files;
  if (wanted.length === 0) throw new UsageError(`no such file; this journal has: ${journal.files.map((f) => f.name).join(", ")}`);
  const dir = join(
    values.out as string,
    `${journal.glDate}-${journal.pbcRefNumber}-${String(journal.sequence).padStart(3, "0")}`,
  );
  mkdirSync(dir, { recursive: true });
  for (const file of wanted) {
    const response = await call(file.url);
    const expected = response.headers.get("X-Content-SHA256") ?? file.sha256;
    const total = Number(response.headers.get("Content-Length") ?? file.size);
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
    if (actual !== expected || actual !== file.sha256) {
      rmSync(path, { force: true });
      fail(`${file.fileName}: checksum mismatch (expected ${file.sha256}, got ${actual}); the file was deleted`, 1);
    }
    process.stdout.write(`${path}  ${human(received)}  sha256 ${actual}  verified\n`);
  }
}

/** Upload a ledger file: the portal keeps it and applies it at once (the same file twice changes nothing). */
async function feedback(): Promise<void> {
  const path = positionals[1];
  if (!path) throw new UsageError("feedback needs the file: npm run journals -- feedback FEEDBACK.F3535.20251201214139");
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const name = basename(path);
  const response = await call(`/finance/api/feedback?name=${encodeURIComponent(name)}`, {
    method: "POST",
    body: new Uint8Array(bytes),
    headers: { "Content-Type": "application/octet-stream" },
  });
  const outcome = (await response.json()) as FeedbackOutcome;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    return;
  }
  if (outcome.duplicate) process.stdout.write(`${name}: received before (file ${outcome.id}); nothing changed.\n`);
  else if (outcome.kind === "ACK") process.stdout.write(`${name}: acknowledgement kept (file ${outcome.id}).\n`);
  else {
    process.stdout.write(
      `${name}: ${outcome.linesProcessed} lines PROCESSED, ${outcome.linesRejected} REJECT (file ${outcome.id}, ${outcome.status})\n`,
    );
  }
  for (const batch of outcome.batches) {
    process.stdout.write(
      `  batch ${batch.batchNumber} ${batch.feederFile} ${batch.pbcRefNumber} ${batch.glDate}: ${batch.result}\n`,
    );
    for (const rejection of batch.rejections) {
      process.stdout.write(`    ${rejection.account ?? "all lines"}: ${rejection.code} ${rejection.message}\n`);
    }
  }
  for (const problem of outcome.problems) process.stdout.write(`  not applied: ${problem}\n`);
  if (outcome.status === "PROBLEMS") process.exitCode = 1;
}

const CLOSED_PERIOD_MESSAGE = "GL Effective Date on the JV Detail is not within an open or future period";

/** Write the ledger's answer to a posted journal's feeder files, for the local round trip. */
async function makeFeedback(): Promise<void> {
  if (!values.id || !/^\d+$/.test(values.id)) throw new UsageError("make-feedback needs --id N (see `list`)");
  const { journals } = (await (await call("/finance/api/journals")).json()) as { journals: JournalSummary[] };
  const journal = journals.find((j) => j.id === Number(values.id));
  if (!journal) throw new UsageError(`no journal with id ${values.id}`);
  const feeders = journal.files.filter((file) => file.name.startsWith("feeder-"));
  if (feeders.length === 0) throw new UsageError(`journal ${values.id} has no feeder file yet (is it POSTED?)`);
  const rejected: ReturnStatus = values["closed-period"]
    ? { code: "1216", message: CLOSED_PERIOD_MESSAGE }
    : { code: values.code as string, message: values.message as string };
  if (rejected.code === ACCEPTED_CODE) throw new UsageError("--code 0000 means accepted: give a rejection code");
  const wanted = (values.reject ?? []).map((spec) => {
    const match = /^(?:(GA|GI):)?(\d{1,5})$/.exec(spec);
    if (!match) throw new UsageError(`--reject ${spec}: give a journal line number, optionally after GA: or GI:`);
    return { type: match[1] ?? null, line: Number(match[2]) };
  });
  let text = "";
  let feederNumber = "";
  for (const file of feeders) {
    const type = file.name.slice("feeder-".length);
    const content = await (await call(file.url)).text();
    feederNumber ||= content.slice(0, 4);
    const lineCount = content.split("\n").filter((line) => line.slice(6, 8) === "JD").length;
    const lines = new Map<number, ReturnStatus>();
    for (let line = 1; line <= lineCount; line++) {
      if (values["closed-period"] || wanted.some((w) => w.line === line && (w.type === null || w.type === type))) {
        lines.set(line, rejected);
      }
    }
    const decisions: FeedbackDecisions = { lines, ...(values["reject-batch"] ? { batch: rejected } : {}) };
    text += renderFeedbackBatch(content, decisions);
  }
  for (const w of wanted) {
    if (!feeders.some((file) => w.type === null || file.name === `feeder-${w.type}`)) {
      throw new UsageError(`journal ${values.id} has no ${w.type} feeder file`);
    }
  }
  const name = feedbackFileName(feederNumber, new Date());
  mkdirSync(values.out as string, { recursive: true });
  const path = join(values.out as string, name);
  writeFileSync(path, text);
  process.stdout.write(`${path}\nProcess it with: npm run journals -- feedback ${path}\n`);
}

if (values.help || positionals.length === 0) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}
try {
  const command = positionals[0];
  if (command === "list") await list();
  else if (command === "download") await download();
  else if (command === "feedback") await feedback();
  else if (command === "make-feedback") await makeFeedback();
  else throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
} catch (error) {
  if (error instanceof UsageError) fail(error.message);
  fail(`unexpected failure: ${(error as Error).message}`, 1);
}
