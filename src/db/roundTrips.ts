/**
 * D1 round trips as the Worker makes them, for `npm run bench` only (`BENCH=true`, switched on by the
 * bench through `/__bench/d1`): every call that goes to D1 (a statement's first/all/run/raw, a batch,
 * exec) is one round trip, whatever it holds. The bench divides the count by the requests it sent, and
 * reads the SQL each route ran to print its query plans on a large database. Never on in production:
 * the wrapper is a Proxy on the binding, and the counts are per isolate.
 *
 * Replay mode takes the local D1 simulator out of the Worker's CPU figure: the simulator runs in the
 * Worker's own workerd process, where production's D1 is a network hop. The first call of each kind
 * (method and SQL text) goes to D1 and its answer is kept as JSON; later calls of that kind are answered
 * by parsing that JSON (as the binding parses D1's answer off the wire), so the Worker's own work
 * (building SQL, binding values, mapping rows, everything around them) still runs in full. Nothing is
 * written while replaying; answers are of the first request, which is all a CPU measurement needs.
 */

const MAX_STATEMENTS = 500;
/**
 * The sandbox processor keeps its ledger in the same D1, where the real processor is an HTTPS call:
 * a round trip of only its statements is not the portal's (as test/helpers/d1RoundTrips.ts counts).
 */
const PROCESSOR_ONLY = /\bsandbox_ledger\b/;

interface Counts {
  roundTrips: number;
  /** Round trips of the sandbox processor's own ledger (left out of roundTrips). */
  processorRoundTrips: number;
  /** SQL text -> times it ran (at most MAX_STATEMENTS distinct texts). */
  statements: Map<string, number>;
}

const counts: Counts = { roundTrips: 0, processorRoundTrips: 0, statements: new Map() };

export type D1BenchMode = "off" | "count" | "replay";
let mode: D1BenchMode = "off";

/** Replay mode's answers: method, SQL text and arguments -> the answer as JSON. */
const answers = new Map<string, string>();
const MAX_ANSWERS = 2_000;

export function d1BenchMode(): D1BenchMode {
  return mode;
}

/** Switches mode, and resets the counts and the recorded answers. */
export function setD1BenchMode(next: D1BenchMode): void {
  mode = next;
  counts.roundTrips = 0;
  counts.processorRoundTrips = 0;
  counts.statements.clear();
  answers.clear();
}

export function roundTripCounts(): {
  roundTrips: number;
  processorRoundTrips: number;
  statements: Array<{ sql: string; times: number }>;
} {
  return {
    roundTrips: counts.roundTrips,
    processorRoundTrips: counts.processorRoundTrips,
    statements: [...counts.statements].map(([sql, times]) => ({ sql, times })),
  };
}

function note(sqls: readonly string[]): void {
  if (sqls.length > 0 && sqls.every((sql) => PROCESSOR_ONLY.test(sql))) counts.processorRoundTrips++;
  else counts.roundTrips++;
  for (const sql of sqls) {
    const seen = counts.statements.get(sql);
    if (seen !== undefined) counts.statements.set(sql, seen + 1);
    else if (counts.statements.size < MAX_STATEMENTS) counts.statements.set(sql, 1);
  }
}

/** The real statement behind a wrapped one, and its SQL: batch() is given the real statements. */
const real = new WeakMap<object, { statement: D1PreparedStatement; sql: string }>();

/** Methods of the runtime's own objects are called on the objects themselves (they keep private state). */
function passThrough(target: object, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target);
  return typeof value === "function" ? value.bind(target) : value;
}

type D1Like = D1Database | D1DatabaseSession;

/**
 * What the wrapper does with each call that goes to D1: `sqls` are its statements' SQL texts (one
 * for a statement's first/all/run/raw or an exec), `key` names the call's kind, `call` makes it.
 */
type Interceptor = (sqls: readonly string[], key: string, call: () => Promise<unknown>) => Promise<unknown>;

function wrappedStatement(statement: D1PreparedStatement, sql: string, intercept: Interceptor): D1PreparedStatement {
  const proxy = new Proxy(statement, {
    get(target, property) {
      if (property === "bind") {
        return (...values: unknown[]) => wrappedStatement(target.bind(...values), sql, intercept);
      }
      if (property === "first" || property === "all" || property === "run" || property === "raw") {
        const method = Reflect.get(target, property, target) as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) =>
          intercept([sql], `${property}\u0000${sql}\u0000${JSON.stringify(args)}`, () => method.apply(target, args));
      }
      return passThrough(target, property);
    },
  });
  real.set(proxy, { statement, sql });
  return proxy;
}

function wrappedDatabase<T extends D1Like>(database: T, intercept: Interceptor): T {
  return new Proxy(database, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => wrappedStatement(target.prepare(sql), sql, intercept);
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) => {
          const sqls = statements.map((statement) => real.get(statement)?.sql ?? "(unknown)");
          return intercept(sqls, `batch\u0000${sqls.join("\u0001")}`, () =>
            target.batch(statements.map((statement) => real.get(statement)?.statement ?? statement)),
          );
        };
      }
      if (property === "exec" && "exec" in target) {
        return (sql: string) => intercept([sql], `exec\u0000${sql}`, () => target.exec(sql));
      }
      if (property === "withSession" && "withSession" in target) {
        return (...args: Parameters<D1Database["withSession"]>) => wrappedDatabase(target.withSession(...args), intercept);
      }
      return passThrough(target, property);
    },
  });
}

/** Count mode: every call is a round trip. */
const counting: Interceptor = (sqls, _key, call) => {
  note(sqls);
  return call();
};

/** Replay mode: the recorded answer to a call of this kind, else the real one (recorded when it succeeds). */
const replaying: Interceptor = (_sqls, key, call) => {
  const answer = answers.get(key);
  if (answer !== undefined) return Promise.resolve(JSON.parse(answer));
  return call().then((result) => {
    if (answers.size < MAX_ANSWERS && !answers.has(key)) answers.set(key, JSON.stringify(result));
    return result;
  });
};

// One wrapped binding and one env per real env and mode, so per-isolate caches keyed by them stay warm.
const wrappedEnvs = { count: new WeakMap<Env, Env>(), replay: new WeakMap<Env, Env>() };

/** `env` with its D1 binding counted or replayed, in those modes; `env` itself otherwise. */
export function benchEnv(env: Env): Env {
  if (mode === "off") return env;
  const cache = wrappedEnvs[mode];
  let wrapped = cache.get(env);
  if (!wrapped) {
    wrapped = { ...env, DB: wrappedDatabase(env.DB, mode === "count" ? counting : replaying) };
    cache.set(env, wrapped);
  }
  return wrapped;
}
