/**
 * Counting D1 round trips: a D1 binding that forwards to the real one and counts every call that
 * reaches the database (`batch`, a prepared statement's `run`/`all`/`first`/`raw`, `exec`), including
 * those made through the sessions it hands out (`withSession`). Building statements (`prepare`,
 * `bind`) costs nothing and is not counted. It needs nothing but a D1 binding (no workerd test
 * module), so a Node tool holding one (e.g. from wrangler's getPlatformProxy) can wrap it too;
 * test/helpers/d1RoundTripsFetch.ts runs one request through the Worker with it.
 */
export interface D1RoundTrip {
  /** `batch`, `run`, `all`, `first`, `raw` or `exec`. */
  kind: string;
  /** The SQL of each statement it carried. */
  sql: string[];
}

export interface D1RoundTripCounter {
  /** Pass this wherever the Worker's `DB` binding goes. */
  readonly db: D1Database;
  /** Round trips so far (those `ignore` matched left out). */
  readonly count: number;
  /** Each counted round trip, in order: `batch(8)`, `first`, ... */
  readonly calls: readonly string[];
  readonly roundTrips: readonly D1RoundTrip[];
  /** Round trips left out because every statement matched `ignore`. */
  readonly ignored: readonly D1RoundTrip[];
  /** Sessions opened, with the constraint or bookmark each began at. */
  readonly sessions: readonly string[];
  reset(): void;
}

export interface CountingOptions {
  /**
   * Round trips whose every statement matches are not the portal's own, e.g. /\bsandbox_ledger\b/:
   * the sandbox processor keeps its ledger in the same D1, where the real processor is an HTTPS call.
   */
  ignore?: RegExp;
}

/** The sandbox processor's own table: its writes stand for the processor's HTTPS call. */
export const SANDBOX_PROCESSOR = /\bsandbox_ledger\b/;

export function countingD1(inner: D1Database, options: CountingOptions = {}): D1RoundTripCounter {
  const roundTrips: D1RoundTrip[] = [];
  const ignored: D1RoundTrip[] = [];
  const sessions: string[] = [];
  const record = (kind: string, sql: string[]) => {
    const trip = { kind, sql };
    const ignore = options.ignore;
    if (ignore && sql.length > 0 && sql.every((text) => ignore.test(text))) ignored.push(trip);
    else roundTrips.push(trip);
  };
  // Statements handed to `batch` must be the binding's own objects: each proxy remembers its
  // original and its SQL.
  const originals = new WeakMap<D1PreparedStatement, { statement: D1PreparedStatement; sql: string }>();
  const statement = (prepared: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const wrapped = new Proxy(prepared, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "bind") return (...values: unknown[]) => statement(target.bind(...values), sql);
        if (property === "run" || property === "all" || property === "first" || property === "raw") {
          return (...args: unknown[]) => {
            record(String(property), [sql]);
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    originals.set(wrapped, { statement: prepared, sql });
    return wrapped;
  };
  const client = (target: D1Database | D1DatabaseSession) => ({
    prepare: (query: string) => statement(target.prepare(query), query),
    batch: <T = unknown>(list: D1PreparedStatement[]) => {
      const known = list.map((s) => originals.get(s) ?? { statement: s, sql: "" });
      record(
        "batch",
        known.map((s) => s.sql),
      );
      return target.batch<T>(known.map((s) => s.statement));
    },
  });
  const db: D1Database = {
    ...client(inner),
    exec: (query: string) => {
      record("exec", [query]);
      return inner.exec(query);
    },
    withSession: (constraintOrBookmark?: string) => {
      sessions.push(constraintOrBookmark ?? "first-unconstrained");
      const session = inner.withSession(constraintOrBookmark);
      return { ...client(session), getBookmark: () => session.getBookmark() };
    },
    dump: () => inner.dump(),
  };
  return {
    db,
    get count() {
      return roundTrips.length;
    },
    get calls() {
      return roundTrips.map((trip) => (trip.kind === "batch" ? `batch(${trip.sql.length})` : trip.kind));
    },
    roundTrips,
    ignored,
    sessions,
    reset() {
      roundTrips.length = 0;
      ignored.length = 0;
      sessions.length = 0;
    },
  };
}
