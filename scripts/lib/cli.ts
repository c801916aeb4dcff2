/**
 * The one way this project's command-line tools read their arguments and answer: `<command>
 * [options]` (or a single command), --help per command, --json, refusals on stderr with exit code 2
 * and no stack trace, unexpected failures with exit code 1. Used by partner, journals, support,
 * start and nightly.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

export type OptionSpec = {
  type: "string" | "boolean";
  multiple?: boolean;
  /** Placeholder shown in help: --ref N. */
  value?: string;
  help: string;
  /** Accepted but left out of help. */
  hidden?: boolean;
  /** An older spelling of another option, kept for scripts that use it: its value is that option's. */
  aliasOf?: string;
};

export type Values = Record<string, string | boolean | string[] | undefined>;

/** A refusal the user can act on: message on stderr, exit code 2, no stack trace. */
export class UsageError extends Error {}

/** A failure that is fully explained by its message (a checksum mismatch): exit code 1, no stack trace. */
export class CommandFailed extends Error {}

/** What a command prints: `json` with --json, else `text`. */
export interface Output {
  json: unknown;
  text: string;
}

export interface CommandSpec {
  summary: string;
  /** After the program name: "show --ref N". */
  usage: string;
  options: Record<string, OptionSpec>;
  required: string[];
  /** Checks that need nothing but the arguments, run before any work. */
  check?: (values: Values) => void;
  /** Lines added to this command's --help. */
  notes?: string[];
  /** One argument given without an option name (`feedback FILE`), stored under `name`. */
  positional?: { name: string; value: string; help: string };
}

export interface CliSpec<C extends CommandSpec> {
  /** As typed: "npm run partner --". */
  program: string;
  /** Overall help, after the usage line. */
  description: string[];
  commands: Record<string, C>;
  /** Options every command takes (--help and --json are added). */
  globalOptions: Record<string, OptionSpec>;
  /** Overall help, after the options. */
  notes?: string[];
  /** Error classes (besides UsageError) that are refusals rather than failures. */
  userErrors?: Array<abstract new (...args: never[]) => Error>;
  /** Does the command's work once its arguments are known to be well-formed. */
  execute: (name: string, command: C, values: Values) => Promise<Output>;
}

export const JSON_OPTION: OptionSpec = {
  type: "boolean",
  help: "machine-readable output on stdout (errors as JSON on stderr)",
};
export const HELP_OPTION: OptionSpec = { type: "boolean", help: "show help" };

export function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** Rows of cells, columns padded to the widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Taken when the tool starts: the tools later change to the project directory for wrangler. */
const STARTED_IN = process.cwd();

/**
 * Where relative paths given by the user (--file, --out, --persist-to) start: the directory
 * `npm run <script>` was typed in, else the one the tool was started in.
 */
export function userCwd(npmScript: string): string {
  return process.env.npm_lifecycle_event === npmScript && process.env.INIT_CWD ? process.env.INIT_CWD : STARTED_IN;
}

export function userPath(npmScript: string, path: string): string {
  return resolve(userCwd(npmScript), path);
}

// ---------------------------------------------------------------- help

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options)
    .filter(([, spec]) => !spec.hidden && spec.aliasOf === undefined)
    .map(([name, spec]) => [`  --${name}${spec.value ? ` ${spec.value}` : ""}`, spec.help]);
  return table(rows).split("\n");
}

function allGlobals(spec: CliSpec<CommandSpec>): Record<string, OptionSpec> {
  return { ...spec.globalOptions, json: JSON_OPTION, help: HELP_OPTION };
}

function overallHelp(spec: CliSpec<CommandSpec>): string {
  const names = Object.keys(spec.commands);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `Usage: ${spec.program} <command> [options]`,
    "",
    ...spec.description,
    "",
    "Commands:",
    ...names.map((name) => `  ${name.padEnd(width)}  ${spec.commands[name]?.summary}`),
    "",
    "Options for every command:",
    ...optionLines(allGlobals(spec)),
    ...(spec.notes?.length ? ["", ...spec.notes] : []),
    `Help on a command: ${spec.program} <command> --help`,
  ].join("\n");
}

function commandHelp(spec: CliSpec<CommandSpec>, command: CommandSpec): string {
  return [
    `Usage: ${spec.program} ${command.usage}`,
    "",
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
    ...(Object.values(command.options).some((o) => !o.hidden && o.aliasOf === undefined)
      ? ["", "Options:", ...optionLines(command.options)]
      : []),
    "",
    "Options for every command:",
    ...optionLines(allGlobals(spec)),
    ...(command.required.length ? ["", `Required: ${command.required.map((o) => `--${o}`).join(", ")}`] : []),
    ...(command.notes?.length ? ["", ...command.notes] : []),
  ].join("\n");
}

// ---------------------------------------------------------------- parsing

interface Parsed {
  command: string | null;
  values: Values;
}

function findCommand(args: string[], globals: Record<string, OptionSpec>): { index: number; name: string | null } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return { index: -1, name: null };
    if (!arg.startsWith("-")) return { index: i, name: arg };
    // Skip the value of a global option that takes one (--env staging).
    const option = globals[arg.replace(/^--?/, "")];
    if (option?.type === "string" && !arg.includes("=")) i++;
  }
  return { index: -1, name: null };
}

function argumentError(program: string, error: Error & { code?: string }, command: string | null): string {
  const where = command ? `"${command}"` : program;
  const help = command ? `${program} ${command} --help` : `${program} --help`;
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? ""} for ${where} (see ${help})`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(error.message)
        ? `${option ?? "an option"} does not take a value (see ${help})`
        : /ambiguous/.test(error.message)
          ? `${option} needs a value; for one that starts with "-", write ${option}=VALUE (see ${help})`
          : `${option ?? "an option"} needs a value (see ${help})`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ""} (options need their --name; values with spaces need quotes; see ${help})`;
    default:
      return `${error.message} (see ${help})`;
  }
}

/** node:util parseArgs, strict, with messages that say what to type instead; an option given twice is refused. */
export function parseOptions(
  program: string,
  args: string[],
  options: Record<string, OptionSpec>,
  command: string | null = null,
  positional: CommandSpec["positional"] = undefined,
): Values {
  const parseSpec = Object.fromEntries(
    Object.entries(options).map(([key, spec]) => [key, { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) }]),
  );
  let result: ReturnType<typeof parseArgs>;
  try {
    result = parseArgs({ args, options: parseSpec, strict: true, allowPositionals: positional !== undefined, tokens: true });
  } catch (error) {
    throw new UsageError(argumentError(program, error as Error & { code?: string }, command));
  }
  const seen = new Set<string>();
  for (const token of result.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name) && !options[token.name]?.multiple) throw new UsageError(`--${token.name} is given more than once`);
    seen.add(token.name);
  }
  const values = result.values as Values;
  if (positional) {
    if (result.positionals.length > 1)
      throw new UsageError(`"${command}" takes one ${positional.value}, not ${result.positionals.length}`);
    if (result.positionals[0] !== undefined) values[positional.name] = result.positionals[0];
  }
  for (const [name, spec] of Object.entries(options)) {
    if (spec.aliasOf === undefined || values[name] === undefined) continue;
    if (values[spec.aliasOf] !== undefined)
      throw new UsageError(`--${name} is another name for --${spec.aliasOf}: give one of them`);
    values[spec.aliasOf] = values[name];
    delete values[name];
  }
  return values;
}

function parse(spec: CliSpec<CommandSpec>, args: string[]): Parsed {
  const globals = allGlobals(spec);
  const found = findCommand(args, globals);
  const rest = found.index === -1 ? args : [...args.slice(0, found.index), ...args.slice(found.index + 1)];
  if (found.name === "help") {
    // `help` and `help <command>`
    const target = rest.find((a) => !a.startsWith("-"));
    if (target !== undefined && !spec.commands[target])
      throw new UsageError(`unknown command "${target}" (see ${spec.program} --help)`);
    return { command: target ?? null, values: { help: true } };
  }
  const name = found.name;
  const command = name === null ? undefined : spec.commands[name];
  if (name !== null && !command) throw new UsageError(`unknown command "${name}" (see ${spec.program} --help)`);
  return {
    command: name,
    values: parseOptions(spec.program, rest, { ...globals, ...(command?.options ?? {}) }, name, command?.positional),
  };
}

/** Required options present and not blank, then the command's own checks. */
export function checkRequired(program: string, name: string, command: CommandSpec, values: Values): void {
  for (const option of command.required) {
    const value = values[option];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) {
      throw new UsageError(`missing required option --${option} (see ${program} ${name} --help)`);
    }
    if (typeof value === "string" && value.trim() === "") throw new UsageError(`--${option} must not be empty`);
  }
  command.check?.(values);
}

// ---------------------------------------------------------------- running

function reportError(spec: { userErrors?: CliSpec<CommandSpec>["userErrors"] }, error: unknown, json: boolean): number {
  const user = error instanceof UsageError || (spec.userErrors ?? []).some((type) => error instanceof type);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CommandFailed) {
    process.stderr.write(json ? `${JSON.stringify({ error: "failed", message })}\n` : `error: ${message}\n`);
    return 1;
  }
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: user ? "refused" : "failed", message })}\n`);
  } else if (user) {
    process.stderr.write(`error: ${message}\n`);
  } else {
    process.stderr.write(`error: unexpected failure: ${error instanceof Error ? (error.stack ?? message) : message}\n`);
  }
  return user ? 2 : 1;
}

/** Runs one invocation; resolves to the exit code. */
export async function runCli<C extends CommandSpec>(spec: CliSpec<C>, args: string[]): Promise<number> {
  const general = spec as unknown as CliSpec<CommandSpec>;
  let json = args.includes("--json");
  try {
    const parsed = parse(general, args);
    json = parsed.values.json === true;
    const command = parsed.command === null ? undefined : spec.commands[parsed.command];
    if (parsed.values.help === true || !command || parsed.command === null) {
      const help = command ? commandHelp(general, command) : overallHelp(general);
      if (parsed.values.help === true) {
        process.stdout.write(`${help}\n`);
        return 0;
      }
      process.stderr.write(`${help}\n`);
      return 2;
    }
    checkRequired(spec.program, parsed.command, command, parsed.values);
    const output = await spec.execute(parsed.command, command, parsed.values);
    process.stdout.write(
      json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}${output.text.endsWith("\n") ? "" : "\n"}`,
    );
    return 0;
  } catch (error) {
    return reportError(spec, error, json);
  }
}

export interface SingleCommandSpec {
  /** As typed: "npm start --". */
  program: string;
  /** "[--port N]" */
  usage: string;
  /** One sentence, then any more lines of help. */
  description: string[];
  options: Record<string, OptionSpec>;
}

/**
 * A tool with one command (start, nightly): its options parsed as every CLI here parses them,
 * --help printed, or a usage error on stderr and exit code 2.
 */
export function parseSingleCommand(spec: SingleCommandSpec, args: string[]): Values {
  const options = { ...spec.options, help: HELP_OPTION };
  try {
    const values = parseOptions(spec.program, args, options);
    if (values.help === true) {
      const help = [`Usage: ${spec.program} ${spec.usage}`, "", ...spec.description, "", "Options:", ...optionLines(options)];
      process.stdout.write(`${help.join("\n")}\n`);
      process.exit(0);
    }
    return values;
  } catch (error) {
    process.exit(reportError({}, error, false));
  }
}

/** The process's exit, once stdout and stderr have reached a pipe (wrangler may leave handles open). */
export async function exit(code: number): Promise<never> {
  await new Promise<void>((done) => process.stdout.write("", () => process.stderr.write("", () => done())));
  process.exit(code);
}
