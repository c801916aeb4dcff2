/**
 * Does the portal slow down as D1 fills? For each size, a fresh state seeded with that many payments
 * (seedPayments.ts), then the query and direct sale scenarios (and the baseline, so the machine's
 * other load can be told apart) in interleaved rounds. At the largest size, the SQL each hot route
 * runs (counted by the Worker in bench mode, trace.ts) is explained against the seeded database.
 */
import { d1File, fullScans, openD1, queryPlan } from "./d1file.ts";
import { runSlice, type Scenario, type ScenarioReport, type Slice, summarize } from "./http.ts";
import { databaseMiB } from "./journal.ts";
import { accessToken, directSalePath, newTxnNumber, PARTNER } from "./partner.ts";
import { cloneState, log, type Portal, removeDir, startPortal, stopPortal } from "./portal.ts";
import { workerdVersion } from "./proc.ts";
import { seedPayments } from "./seedPayments.ts";
import { traceRoutes } from "./trace.ts";

export interface QueryPlan {
  route: string;
  sql: string;
  plan: string[];
  fullScan: boolean;
}

export interface ScalingSize {
  payments: number;
  seedSeconds: number;
  dbMiB: number;
  http: Record<string, Pick<ScenarioReport, "rps" | "p50_ms" | "p99_ms" | "errors" | "cpu_ms_per_req" | "requests">>;
}

export interface ScalingReport {
  smallest: number;
  largest: number;
  query_p99_ratio: number;
  directsale_rps_ratio: number;
  sizes: ScalingSize[];
  /** Per route, the distinct statements it ran and their plans on the largest database. */
  plans: Record<string, QueryPlan[]>;
}

interface Options {
  sizes: number[];
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  connections: number;
  onWorkerd: (version: string) => void;
}

/** Routes whose plans matter on a big database (the ones a payment's life goes through, and the search). */
const TRACED = ["directsale", "pay_link", "card_page", "card_submit", "query", "search"];

export async function scalingBench(template: string, options: Options): Promise<ScalingReport> {
  const sizes: ScalingSize[] = [];
  let plans: Record<string, QueryPlan[]> = {};
  const largest = Math.max(...options.sizes);
  for (const payments of options.sizes) {
    const state = cloneState(template, `scaling-${payments}`);
    try {
      log(`scaling ${payments}: seeding payments straight into D1`);
      const seedSeconds = await seedPayments(state, payments);
      const dbMiB = Number(databaseMiB(state).toFixed(1));
      log(`scaling ${payments}: seeded in ${seedSeconds.toFixed(1)} s (D1 file ${dbMiB} MiB)`);
      const portal = await startPortal(`scaling-${payments}`, state);
      let traces: Awaited<ReturnType<typeof traceRoutes>> | null = null;
      try {
        options.onWorkerd(workerdVersion(portal.roles.runtime ?? (portal.workerd[0] as number)));
        const http = await measure(portal, payments, options);
        sizes.push({ payments, seedSeconds: Number(seedSeconds.toFixed(1)), dbMiB, http });
        if (payments === largest) traces = await traceRoutes(portal, 5);
      } finally {
        await stopPortal(portal);
      }
      if (traces) plans = explain(state, traces);
    } finally {
      removeDir(state);
    }
  }
  const first = sizes.find((size) => size.payments === Math.min(...options.sizes)) as ScalingSize;
  const last = sizes.find((size) => size.payments === largest) as ScalingSize;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? Number((a / b).toFixed(3)) : Number.NaN;
  return {
    smallest: first.payments,
    largest,
    query_p99_ratio: ratio(last.http.query?.p99_ms, first.http.query?.p99_ms),
    directsale_rps_ratio: ratio(last.http.directsale?.rps, first.http.directsale?.rps),
    sizes,
    plans,
  };
}

async function measure(portal: Portal, payments: number, options: Options): Promise<ScalingSize["http"]> {
  const redirectUri = `http://127.0.0.1:${portal.port}/bench/return`;
  const token = await accessToken(portal.baseUrl);
  // The demo partner's seeded payments are SEED<n> for every 20th n.
  const demoPayments = Math.max(1, Math.floor(payments / 20));
  let q = 0;
  const routes: Array<{ name: string; next: Scenario["next"]; check: Scenario["check"] }> = [
    {
      name: "baseline",
      next: () => ({ method: "GET", path: "/__bench/baseline" }),
      check: (status) => (status === 200 ? null : `status ${status}`),
    },
    {
      name: "directsale",
      next: () => ({ method: "GET", path: directSalePath(redirectUri, newTxnNumber("SC")) }),
      check: (status, headers) =>
        status === 303 && /^\/public\/pay\//.test(headers.location ?? "") ? null : `status ${status} to ${headers.location}`,
    },
    {
      name: "query",
      next: () => {
        // A stride through the demo partner's payments: every lookup a different row, spread over the table.
        const n = 20 * (1 + ((q++ * 7919) % demoPayments));
        return {
          method: "GET",
          path: `/ords/cas/paybc/payment/${PARTNER.pbcRefNumber}/SEED${String(n).padStart(10, "0")}`,
          headers: { Authorization: `Bearer ${token}` },
        };
      },
      check: (status) => (status === 200 ? null : `status ${status}`),
    },
  ];
  const target = {
    workerd: portal.roles.runtime === undefined ? portal.workerd : [portal.roles.runtime],
    roles: portal.roles,
  };
  const scenario = (route: (typeof routes)[number], duration: number): Scenario => ({
    url: portal.baseUrl,
    connections: options.connections,
    duration,
    next: route.next,
    check: route.check,
  });
  for (const route of routes) {
    const warm = await runSlice(scenario(route, options.warmupSeconds), target);
    if (warm.errors > 0) throw new Error(`scaling ${payments} ${route.name} warm-up: ${warm.problems.join(" | ")}`);
  }
  const slices = new Map<string, Slice[]>(routes.map((route) => [route.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const route of routes)
      slices.get(route.name)?.push(await runSlice(scenario(route, options.seconds / options.rounds), target));
  }
  const http: ScalingSize["http"] = {};
  for (const route of routes) {
    const r = summarize(slices.get(route.name) ?? []);
    http[route.name] = {
      rps: r.rps,
      p50_ms: r.p50_ms,
      p99_ms: r.p99_ms,
      errors: r.errors,
      cpu_ms_per_req: r.cpu_ms_per_req,
      requests: r.requests,
    };
    log(`scaling ${payments}: ${route.name} ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, ${r.errors} errors`);
  }
  return http;
}

function explain(state: string, traces: Awaited<ReturnType<typeof traceRoutes>>): Record<string, QueryPlan[]> {
  log(`explaining the hot routes' SQL on ${d1File(state)}`);
  const db = openD1(state);
  try {
    const plans: Record<string, QueryPlan[]> = {};
    for (const route of TRACED) {
      plans[route] = (traces[route]?.statements ?? []).map(({ sql }) => {
        let plan: string[];
        try {
          plan = queryPlan(db, sql);
        } catch (error) {
          plan = [`(not explained: ${error instanceof Error ? error.message : String(error)})`];
        }
        return { route, sql, plan, fullScan: fullScans(plan).length > 0 };
      });
    }
    return plans;
  } finally {
    db.close();
  }
}
