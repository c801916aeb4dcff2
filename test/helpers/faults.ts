/** A D1 binding that fails its Nth operation: fault injection at every step of a flow. */

export interface FailingD1 {
  db: D1Database;
  /** Operations performed so far (prepared statement executions and batches). */
  count(): number;
}

export function failingD1(real: D1Database, failAt: number): FailingD1 {
  let count = 0;
  const realStatements = new WeakMap<object, D1PreparedStatement>();
  const tick = () => {
    count++;
    if (count === failAt) throw new Error(`injected D1 failure at operation ${count}`);
  };
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, property) {
        if (property === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (property === "run" || property === "all" || property === "first" || property === "raw") {
          return async (...args: unknown[]) => {
            tick();
            return (target[property] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    realStatements.set(proxy, statement);
    return proxy;
  };
  const db = new Proxy(real, {
    get(target, property) {
      if (property === "prepare") return (query: string) => wrap(target.prepare(query));
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          tick();
          return target.batch(statements.map((s) => realStatements.get(s) ?? s));
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, count: () => count };
}
