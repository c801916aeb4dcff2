/**
 * D1 round trips as the Worker makes them, for `npm run bench` only (`BENCH=true`, switched on by the
 * bench through `/__bench/d1`): every call that goes to D1 (a statement's first/all/run/raw, a batch,
 * exec) is one round trip, whatever it holds. The bench divides the count by the requests it sent, and
 * reads the SQL each route ran to print its query plans on a large database. Never on in production:
 * the wrapper is a Proxy on the binding, and the counts are per isolate.
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
let counting = false;

export function isCounting(): boolean {
  return counting;
}

/** Starts (or stops) counting and resets the counts. */
export function setCounting(on: boolean): void {
  counting = on;
  counts.roundTrips = 0;
  counts.processorRoundTrips = 0;
  counts.statements.clear();
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

/** The real statement behind a counted one, and its SQL: batch() is given the real statements. */
const real = new WeakMap<object, { statement: D1PreparedStatement; sql: string }>();

/** Methods of the runtime's own objects are called on the objects themselves (they keep private state). */
function passThrough(target: object, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target);
  return typeof value === "function" ? value.bind(target) : value;
}

function countedStatement(statement: D1PreparedStatement, sql: string): D1PreparedStatement {
  const proxy = new Proxy(statement, {
    get(target, property) {
      if (property === "bind") {
        return (...values: unknown[]) => countedStatement(target.bind(...values), sql);
      }
      if (property === "first" || property === "all" || property === "run" || property === "raw") {
        const method = Reflect.get(target, property, target) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          note([sql]);
          return method.apply(target, args);
        };
      }
      return passThrough(target, property);
    },
  });
  real.set(proxy, { statement, sql });
  return proxy;
}

type D1Like = D1Database | D1DatabaseSession;

function countedDatabase<T extends D1Like>(database: T): T {
  return new Proxy(database, {
    get(target, property) {
      if (property === "prepare") return (sql: string) => countedStatement(target.prepare(sql), sql);
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) => {
          note(statements.map((statement) => real.get(statement)?.sql ?? "(unknown)"));
          return target.batch(statements.map((statement) => real.get(statement)?.statement ?? statement));
        };
      }
      if (property === "exec" && "exec" in target) {
        return (sql: string) => {
          note([sql]);
          return target.exec(sql);
        };
      }
      if (property === "withSession" && "withSession" in target) {
        return (...args: Parameters<D1Database["withSession"]>) => countedDatabase(target.withSession(...args));
      }
      return passThrough(target, property);
    },
  });
}

// One counted binding and one env per real env, so per-isolate caches keyed by them stay warm.
const countedEnvs = new WeakMap<Env, Env>();

/** `env` with its D1 binding counted, while counting is on; `env` itself otherwise. */
export function countingEnv(env: Env): Env {
  if (!counting) return env;
  let counted = countedEnvs.get(env);
  if (!counted) {
    counted = { ...env, DB: countedDatabase(env.DB) };
    countedEnvs.set(env, counted);
  }
  return counted;
}
