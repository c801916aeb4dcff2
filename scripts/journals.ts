/**
 * `npm run journals -- list|download ...`: finance staff's terminal access to the GL journals.
 * Talks to the portal's /finance API (the finance token locally; a Cloudflare Access service token
 * in front of a deployed portal), shows download progress and verifies every file's SHA-256.
 */
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { journalSummary } from "../src/routes/finance.tsx";
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

/** One journal of GET /finance/api/journals: the portal's own summary, as JSON. */
type JournalSummary = ReturnType<typeof journalSummary>;

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

async function call(connection: Connection, path: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${connection.baseUrl}${path}`, { headers: connection.headers });
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
    const { journals } = (await (await call(connection, `/finance/api/journals?${query}`)).json()) as {
      journals: JournalSummary[];
    };
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
    const text = journals.length
      ? table([["ID", "GL date", "Partner", "Seq", "Status", "Lines", "Debits", "Credits"], ...rows])
      : "No journals match.";
    return { json: journals, text };
  },
};

function human(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

const download: JournalsCommand = {
  summary: "download a journal's files, verifying each one's SHA-256",
  usage: "download --id N [--file journal.csv|feeder|trigger|detail.csv ...] [--out DIR]",
  options: {
    id: { type: "string", value: "N", help: "the journal's id (see list)" },
    file: {
      type: "string",
      multiple: true,
      value: "NAME",
      help: "only this file (repeatable): journal.csv, feeder, trigger, detail.csv",
    },
    out: { type: "string", value: "DIR", help: "where to write them (default the current directory)" },
  },
  required: ["id"],
  check(values) {
    if (!/^\d+$/.test(str(values, "id") ?? "")) throw new UsageError("download needs --id N (see `list`)");
  },
  async run(connection, values) {
    const id = Number(str(values, "id"));
    const { journals } = (await (await call(connection, "/finance/api/journals")).json()) as { journals: JournalSummary[] };
    const journal = journals.find((j) => j.id === id);
    if (!journal) throw new UsageError(`no journal with id ${id}`);
    const names = (values.file as string[] | undefined) ?? [];
    const wanted = names.length ? journal.files.filter((f) => names.includes(f.name)) : journal.files;
    if (wanted.length === 0)
      throw new UsageError(`no such file; this journal has: ${journal.files.map((f) => f.name).join(", ")}`);
    const dir = join(
      userPath("journals", str(values, "out") ?? "."),
      `${journal.glDate}-${journal.pbcRefNumber}-${String(journal.sequence).padStart(3, "0")}`,
    );
    mkdirSync(dir, { recursive: true });
    const saved: Array<{ path: string; size: number; sha256: string }> = [];
    for (const file of wanted) {
      const response = await call(connection, file.url);
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
        throw new CommandFailed(
          `${file.fileName}: checksum mismatch (expected ${file.sha256}, got ${actual}); the file was deleted`,
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

const code = await runCli<JournalsCommand>(
  {
    program: "npm run journals --",
    description: [
      "GL journals for finance staff, from a running portal's /finance API: locally the finance token,",
      "in front of a deployed portal a Cloudflare Access service token.",
    ],
    commands: { list, download },
    globalOptions: CONNECTION_OPTIONS,
    execute: async (_name, command, values) => command.run(connection(values), values),
  },
  process.argv.slice(2),
);
await exit(code);
