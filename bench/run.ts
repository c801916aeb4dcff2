/**
 * `npm run bench`: throughput, latency, CPU and D1 round trips per request of the portal's main routes
 * against a trivial baseline route on the same runtime, D1 bytes per payment, the routes with 10,000
 * vs 1,000,000 payments stored (with query plans), and the nightly journal export at volume.
 * Never part of `npm test`. Loopback only; bounded in time; stops every process it started.
 *
 * Environment:
 *   BENCH_SECONDS          measured seconds per HTTP scenario (default 10)
 *   BENCH_ROUNDS           the scenarios take turns in this many rounds of BENCH_SECONDS / BENCH_ROUNDS each (default 2)
 *   BENCH_WARMUP_SECONDS   warm-up seconds before each (default 2)
 *   BENCH_CONNECTIONS      concurrent connections (default 10)
 *   BENCH_JOURNAL_SIZES    revenue lines per journal export, comma-separated (default 10000,100000,1000000)
 *   BENCH_LINES_PER_TRANSACTION  revenue lines per generated transaction (default 2)
 *   BENCH_ONLY             one phase: http, capacity, scaling or journal
 *   BENCH_CAPACITY_PAYMENTS  payments driven through the whole HTTP flow for D1 bytes per payment (default 10000)
 *   BENCH_CAPACITY_REFUND_SHARE  share of them refunded (default 0.1)
 *   BENCH_SCALING_SIZES    payments seeded into D1 for the scaling comparison (default 10000,1000000)
 *   BENCH_JOURNAL_HEAP_MB  heap cap of every isolate during the journal exports (default 48; 0: none)
 *   BENCH_PROFILE_SECONDS  after the measured rounds, profile the Worker's CPU per route for this long (bench/.tmp/profile-*.txt, and .cpuprofile for DevTools)
 *   BENCH_SOURCE           benchmark another checkout (e.g. a candidate fix) instead of this working tree
 *   BENCH_TIMEOUT_SECONDS  ends everything with exit code 1 (default 5400)
 * Results: the table on stdout and bench/results.json (git-ignored); wrangler logs in bench/.tmp/.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Request } from "autocannon";
import { type CapacityReport, measureCapacity } from "./lib/capacity.ts";
import { sampleWorkerHeap } from "./lib/heap.ts";
import { type HttpResult, runSlice, type Scenario, type ScenarioReport, type Slice, summarize } from "./lib/http.ts";
import { bundleModules, connectInspector, connectRuntimeInspector, openProfilerSession, profileCpu } from "./lib/inspector.ts";
import {
  databaseMiB,
  type JournalReport,
  LINES_PER_TRANSACTION,
  measureExport,
  pastGlDate,
  seedRevenueLines,
} from "./lib/journal.ts";
import {
  accessToken,
  cardForm,
  clientAddress,
  directSalePath,
  newTxnNumber,
  PARTNER,
  type PreparedPayment,
  pool,
  preparePayment,
} from "./lib/partner.ts";
import {
  cloneState,
  devBundle,
  LOG_DIR,
  log,
  type Portal,
  prepareTemplate,
  ROOT,
  removeDir,
  startPortal,
  stopAll,
  stopPortal,
  takeSnapshot,
} from "./lib/portal.ts";
import { listeningPorts, workerdVersion } from "./lib/proc.ts";
import { scalingBench as runScaling, type ScalingReport } from "./lib/scaling.ts";
import { type RouteTrace, setD1Mode, traceRoutes } from "./lib/trace.ts";

process.chdir(ROOT);

const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 10);
const ROUNDS = Math.max(1, Math.round(Number(process.env.BENCH_ROUNDS || 2)));
const JOURNAL_SIZES = (process.env.BENCH_JOURNAL_SIZES || "10000,100000,1000000")
  .split(",")
  .map((size) => Number(size.trim().replace(/_/g, "")))
  .filter((size) => Number.isInteger(size) && size > 0);
const PHASES = ["http", "capacity", "scaling", "journal"] as const;
type Phase = (typeof PHASES)[number];
const ONLY = (process.env.BENCH_ONLY ?? "").trim();
if (ONLY !== "" && !PHASES.includes(ONLY as Phase)) {
  console.error(`[bench] BENCH_ONLY must be one of ${PHASES.join(", ")} (or unset for all), not "${ONLY}"`);
  process.exit(2);
}
const runs = (phase: Phase) => ONLY === "" || ONLY === phase;
/** Payments driven through the whole HTTP flow to measure D1 bytes per payment. */
const CAPACITY_PAYMENTS = Number(process.env.BENCH_CAPACITY_PAYMENTS || 10_000);
/**
 * Heap cap (MiB) of every isolate during the journal exports (0: none): an export that still posts
 * under it shows the Worker's live heap stays below it at that volume.
 */
const JOURNAL_HEAP_MB = Number(process.env.BENCH_JOURNAL_HEAP_MB ?? 48);
/** Payments already in D1 for the scaling comparison (the first and the last are compared). */
const SCALING_SIZES = (process.env.BENCH_SCALING_SIZES || "10000,1000000")
  .split(",")
  .map((size) => Number(size.trim().replace(/_/g, "")))
  .filter((size) => Number.isInteger(size) && size > 0);
/** Share of those payments refunded (partially) through the REST refund resource. */
const CAPACITY_REFUND_SHARE = Number(process.env.BENCH_CAPACITY_REFUND_SHARE ?? 0.1);
/** After each measured HTTP run, a CPU profile of the Worker isolate for this many seconds (bench/.tmp/profile-<route>.txt). */
const PROFILE_SECONDS = Number(process.env.BENCH_PROFILE_SECONDS || 0);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_SECONDS || 5400) * 1000;
/** A nightly run that takes longer than this is reported as a failure. */
const JOURNAL_RUN_TIMEOUT_MS = 600_000;
const JOURNAL_MAX_RUNS = 5;

/** `name` in wrangler.toml: the runtime's inspector lists the Worker as core:user:<name>. */
const WORKER_NAME = "paybc-portal";

const TARGETS = {
  directsale: 0.5,
  query: 0.7,
  cpuMsPerReq: 2,
  journalMillionSeconds: 60,
  /** Route CPU per request over the baseline's, same run (issue 16). */
  cpuRatio: { directsale: 2.0, query: 1.5, card_submit: 3.0 } as Record<string, number>,
  /** With the largest seeded database against the smallest: index use keeps these near 1. */
  scalingRatio: { queryP99: 1.5, directsaleRps: 0.8 },
};

// ---------------------------------------------------------------- ending

let finishing = false;
async function finish(code: number, reason?: string): Promise<never> {
  if (finishing) return new Promise<never>(() => {});
  finishing = true;
  if (reason) console.error(`[bench] ${reason}`);
  await stopAll();
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void finish(signal === "SIGINT" ? 130 : 143, `stopped by ${signal}`));
}
setTimeout(() => void finish(1, `FAILED: global timeout of ${TIMEOUT_MS / 1000} s reached`), TIMEOUT_MS).unref();

// ---------------------------------------------------------------- HTTP scenarios

type Check = Scenario["check"];

const expectStatus =
  (expected: number): Check =>
  (status) =>
    status === expected ? null : `status ${status}, expected ${expected}`;

const expectRedirect =
  (test: (location: string) => boolean, what: string): Check =>
  (status, headers) => {
    const location = headers.location ?? "";
    if (status !== 303) return `status ${status}, expected 303 to ${what}`;
    return test(location) ? null : `303 to ${location}, expected ${what}`;
  };

interface Route {
  name: string;
  next: Scenario["next"];
  check: Check;
  /** Requests one slice may send at most (card submissions: their share of the prepared payments). */
  perSlice?: number;
}

function scenario(portal: Portal, route: Route, duration: number, extra: Partial<Scenario> = {}): Scenario {
  return {
    url: portal.baseUrl,
    connections: CONNECTIONS,
    duration,
    next: route.next,
    check: route.check,
    maxOverallRequests: route.perSlice,
    ...extra,
  };
}

async function warmUp(portal: Portal, route: Route, extra: Partial<Scenario> = {}): Promise<ScenarioReport> {
  const report = summarize([
    await runSlice(scenario(portal, route, WARMUP_SECONDS, { maxOverallRequests: undefined, ...extra }), cpuTarget(portal)),
  ]);
  if (report.errors > 0) throw new Error(`${route.name} warm-up: ${report.errors} errors: ${report.problems.join(" | ")}`);
  return report;
}

/**
 * Whose CPU is `cpu_ms_per_req`: the workerd process that runs the Worker (with the local D1 and R2
 * simulators, which production runs elsewhere). Wrangler's dev proxy, a second workerd that only
 * forwards requests in development, is reported beside it, not in it.
 */
function cpuTarget(portal: Portal) {
  const runtime = portal.roles.runtime;
  return { workerd: runtime === undefined ? portal.workerd : [runtime], roles: portal.roles };
}

/** A separate, unmeasured run under the Worker's CPU profiler: where the Worker's own JS time goes. */
async function profileRoute(portal: Portal, route: Route, extra: Partial<Scenario>): Promise<void> {
  const runtime = portal.roles.runtime;
  // Straight to the runtime's inspector: through wrangler's inspector proxy, a session that gets no
  // answer made the proxy workerd open sockets until it ran out of file descriptors.
  const inspector = await openProfilerSession([
    runtime === undefined
      ? () => connectInspector(portal.inspectorPort)
      : () => connectRuntimeInspector(listeningPorts(runtime), WORKER_NAME),
  ]);
  try {
    let requests = 0;
    const bundle = devBundle();
    const moduleOf = bundle ? bundleModules(readFileSync(bundle, "utf8")) : undefined;
    const summary = await profileCpu(
      inspector,
      async () => {
        requests = (await runSlice(scenario(portal, route, PROFILE_SECONDS, extra), cpuTarget(portal))).requests;
      },
      moduleOf,
    );
    const lines = [
      `CPU profile of the Worker isolate (JS only; local D1/R2 and workerd's own work are not in it): ${route.name}`,
      `${requests} requests in ${PROFILE_SECONDS} s; ${summary.totalMs} ms sampled (idle included); the profiler itself slows the Worker down`,
      "",
      "self time by source module:",
      ...summary.byFile.map((row) => `  ${row.ms.toFixed(1).padStart(9)} ms ${row.share.toFixed(1).padStart(5)}%  ${row.file}`),
      "",
      "self time by function:",
      ...summary.byFunction.map((row) => `  ${row.ms.toFixed(1).padStart(9)} ms ${row.share.toFixed(1).padStart(5)}%  ${row.fn}`),
      "",
      "inclusive time of the portal's own functions (src/):",
      ...summary.byPortalFunction.map(
        (row) => `  ${row.ms.toFixed(1).padStart(9)} ms ${row.share.toFixed(1).padStart(5)}%  ${row.fn}`,
      ),
    ];
    writeFileSync(join(LOG_DIR, `profile-${route.name}.txt`), `${lines.join("\n")}\n`);
    writeFileSync(join(LOG_DIR, `profile-${route.name}.cpuprofile`), JSON.stringify(summary.profile));
    log(`${route.name}: CPU profile written to bench/.tmp/profile-${route.name}.txt`);
  } finally {
    inspector.close();
  }
}

async function httpBench(template: string): Promise<{
  http: Record<string, ScenarioReport>;
  replayed: Record<string, ScenarioReport>;
  notes: string[];
  traces: Record<string, RouteTrace>;
}> {
  const notes: string[] = [];
  const state = cloneState(template, "http");
  const portal = await startPortal("http", state);
  seenWorkerd ??= workerdVersion(portal.roles.runtime ?? (portal.workerd[0] as number));
  log(
    `processes: ${Object.entries(portal.roles)
      .map(([role, pid]) => `${role} ${pid}`)
      .join(", ")}`,
  );
  const redirectUri = `http://127.0.0.1:${portal.port}/bench/return`;
  try {
    const baseline: Route = {
      name: "baseline",
      next: () => ({ method: "GET", path: "/__bench/baseline" }),
      check: expectStatus(200),
    };
    const directsale: Route = {
      name: "directsale",
      next: () => ({ method: "GET", path: directSalePath(redirectUri, newTxnNumber("DS")) }),
      check: expectRedirect((location) => /^\/public\/pay\/[A-Za-z0-9_-]+$/.test(location), "/public/pay/<token>"),
    };
    log("warming up baseline and directsale");
    await warmUp(portal, baseline);
    const directRate = (await warmUp(portal, directsale)).rps;

    // Card submissions: one prepared payment each, never reused; as many as a card submission
    // at the direct sale's warm-up rate would use, with room to spare.
    const warmupPosts = WARMUP_SECONDS > 0 ? CONNECTIONS * 2 : 0;
    const measuredPosts = Math.min(20_000, Math.max(300, Math.ceil(directRate * SECONDS * 1.3)));
    const profilePosts = PROFILE_SECONDS > 0 ? Math.max(100, Math.ceil(directRate * PROFILE_SECONDS * 1.3)) : 0;
    // autocannon builds one request ahead per connection in every run: those payments are skipped, never posted twice.
    const slack = CONNECTIONS * (ROUNDS + 3);
    const wanted = warmupPosts + measuredPosts + profilePosts + slack;
    log(`card_submit: preparing ${wanted} payments (directsale -> single-use link -> card page)`);
    const preparing = performance.now();
    const payments = await pool(Array.from({ length: wanted }), CONNECTIONS, () => preparePayment(portal.baseUrl, redirectUri));
    log(`card_submit: prepared in ${((performance.now() - preparing) / 1000).toFixed(1)} s`);
    // Kept unpaid for the replay phase: its one real submission is the answer every replayed one gets.
    const replayPayment = payments.pop() as PreparedPayment;
    const cardRequest = (payment: PreparedPayment, n: number): Request => ({
      method: "POST",
      path: payment.cardPath,
      headers: {
        Cookie: payment.cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "CF-Connecting-IP": clientAddress(n),
      },
      body: cardForm(payment),
    });
    let used = 0;
    const cardSubmit: Route = {
      name: "card_submit",
      next: (): Request => {
        const payment = payments[used] as PreparedPayment | undefined;
        if (!payment) throw new Error("card_submit: the prepared payments ran out");
        used++;
        return cardRequest(payment, used);
      },
      check: expectRedirect(
        (location) => location.startsWith(`${redirectUri}?`) && /[?&]trnApproved=1(&|$)/.test(location),
        "the partner with trnApproved=1",
      ),
      perSlice: Math.floor(measuredPosts / ROUNDS),
    };
    if (warmupPosts > 0) await warmUp(portal, cardSubmit, { amount: warmupPosts });

    const token = await accessToken(portal.baseUrl);
    const txnNumbers = payments.map((payment) => payment.txnNumber);
    let q = 0;
    const query: Route = {
      name: "query",
      next: () => ({
        method: "GET",
        path: `/ords/cas/paybc/payment/${PARTNER.pbcRefNumber}/${txnNumbers[q++ % txnNumbers.length]}`,
        headers: { Authorization: `Bearer ${token}` },
      }),
      check: expectStatus(200),
    };
    await warmUp(portal, query);

    // Measured: the routes take turns, ROUNDS slices each, so load from other work weighs on all alike.
    const routes = [baseline, directsale, cardSubmit, query];
    const slices = new Map<string, Slice[]>(routes.map((route) => [route.name, []]));
    const sliceSeconds = SECONDS / ROUNDS;
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round} of ${ROUNDS}: ${routes.map((route) => route.name).join(", ")}, ${sliceSeconds} s each`);
      for (const route of routes) {
        const slice = await runSlice(scenario(portal, route, sliceSeconds), cpuTarget(portal));
        slices.get(route.name)?.push(slice);
        if (slice.errors > 0) log(`${route.name}: ${slice.errors} errors, for example: ${slice.problems.join(" | ")}`);
        if (slice.seconds < sliceSeconds - 0.5) {
          notes.push(
            `${route.name} round ${round} used its ${route.perSlice} prepared payments after ${slice.seconds.toFixed(1)} s of ${sliceSeconds} s`,
          );
        }
      }
    }
    const http = Object.fromEntries(routes.map((route) => [route.name, summarize(slices.get(route.name) ?? [])]));
    for (const [name, report] of Object.entries(http)) {
      log(
        `${name}: ${report.requests} requests in ${report.seconds} s = ${report.rps} req/s, p50 ${report.p50_ms} ms, ` +
          `p99 ${report.p99_ms} ms, ${report.errors} errors, ${report.cpu_ms_per_req} ms runtime CPU/request`,
      );
    }
    log("counting D1 round trips per request (one request at a time, warm isolate)");
    const traces = await traceRoutes(portal);
    const replayed = await replayPhase(portal, routes, { ...cardSubmit, next: () => cardRequest(replayPayment, ++used) });
    if (PROFILE_SECONDS > 0) {
      for (const route of routes) {
        try {
          await profileRoute(portal, route, route === cardSubmit ? { maxOverallRequests: profilePosts } : {});
        } catch (error) {
          log(
            `${route.name}: no CPU profile (${error instanceof Error ? error.message : String(error)}); the measurements above stand`,
          );
          break;
        }
      }
    }
    return { http, replayed, notes, traces };
  } finally {
    await stopPortal(portal);
    removeDir(state);
  }
}

/**
 * The same routes with D1 answered from recorded answers (src/db/roundTrips.ts, replay mode): the
 * local D1 simulator runs in the Worker's own process and its CPU is in `cpu_ms_per_req`, where
 * production's D1 runs elsewhere. Each route's first request goes to D1 alone and is recorded; the
 * rest parse that answer, so the Worker's own work (SQL building, mapping, crypto, HTML) runs in full.
 */
async function replayPhase(portal: Portal, routes: readonly Route[], cardReplay: Route): Promise<Record<string, ScenarioReport>> {
  log("replay: the same routes with D1's answers replayed in the Worker (the local simulator's CPU left out)");
  await setD1Mode(portal, "replay");
  try {
    const replayRoutes = routes.map((route) => (route.name === "card_submit" ? cardReplay : { ...route, perSlice: undefined }));
    for (const route of replayRoutes) {
      const request = route.next();
      const response = await fetch(`${portal.baseUrl}${request.path}`, {
        method: request.method,
        headers: request.headers,
        body: request.body as string | undefined,
        redirect: "manual",
      });
      await response.body?.cancel();
      const problem = route.check(response.status, Object.fromEntries(response.headers));
      if (problem) throw new Error(`replay: ${route.name}'s recorded request: ${problem}`);
      await warmUp(portal, route);
    }
    const slices = new Map<string, Slice[]>(replayRoutes.map((route) => [route.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const route of replayRoutes)
        slices.get(route.name)?.push(await runSlice(scenario(portal, route, SECONDS / ROUNDS), cpuTarget(portal)));
    }
    const reports = Object.fromEntries(replayRoutes.map((route) => [route.name, summarize(slices.get(route.name) ?? [])]));
    for (const [name, report] of Object.entries(reports)) {
      log(`replay ${name}: ${report.rps} req/s, ${report.errors} errors, ${report.cpu_ms_per_req} ms runtime CPU/request`);
    }
    return reports;
  } finally {
    await setD1Mode(portal, "off");
  }
}

// ---------------------------------------------------------------- capacity

async function capacityBench(template: string): Promise<CapacityReport> {
  const state = cloneState(template, "capacity");
  try {
    log(`capacity: ${CAPACITY_PAYMENTS} two-line payments through the whole flow (refunded: ${CAPACITY_REFUND_SHARE * 100} %)`);
    const report = await measureCapacity(state, {
      payments: CAPACITY_PAYMENTS,
      refundShare: CAPACITY_REFUND_SHARE,
      connections: CONNECTIONS,
    });
    log(
      `capacity: ${report.bytes_per_payment} bytes per payment, ${report.payments_per_10gb} payments per 10 GB ` +
        `(${report.payments} payments, ${report.refunded} refunded, ${report.notificationsDelivered} notifications, ${report.seconds} s)`,
    );
    return report;
  } finally {
    removeDir(state);
  }
}

// ---------------------------------------------------------------- scaling

async function scalingBench(template: string): Promise<ScalingReport> {
  return runScaling(template, {
    sizes: SCALING_SIZES,
    seconds: SECONDS,
    rounds: ROUNDS,
    warmupSeconds: WARMUP_SECONDS,
    connections: CONNECTIONS,
    onWorkerd: (version) => {
      seenWorkerd ??= version;
    },
  });
}

// ---------------------------------------------------------------- journal export

/** Per journal size: the Worker isolate's own heap (inspector) and the heap cap the export ran under. */
const workerHeap = new Map<number, { peakUsedMb: number | null; samples: number; problem: string; capMb: number | null }>();

async function journalBench(template: string): Promise<JournalReport[]> {
  const reports: JournalReport[] = [];
  const glDate = pastGlDate();
  for (const lines of JOURNAL_SIZES) {
    const state = cloneState(template, `journal-${lines}`);
    log(`journal ${lines} lines: seeding ${Math.ceil(lines / LINES_PER_TRANSACTION)} PAID transactions of ${glDate} into D1`);
    const seedSeconds = await seedRevenueLines(state, lines, glDate);
    const dbMiB = databaseMiB(state);
    log(
      `journal ${lines} lines: seeded in ${seedSeconds.toFixed(1)} s (D1 file ${dbMiB.toFixed(0)} MiB); triggering the nightly run`,
    );
    const flags = process.env.MINIFLARE_WORKERD_V8_FLAGS ?? "";
    const cap = JOURNAL_HEAP_MB > 0 && !flags.includes("max-old-space-size");
    const portal = await startPortal(
      `journal-${lines}`,
      state,
      cap
        ? { MINIFLARE_WORKERD_V8_FLAGS: `${flags} --max-old-space-size=${JOURNAL_HEAP_MB} --max-semi-space-size=2`.trim() }
        : {},
    );
    seenWorkerd ??= workerdVersion(portal.roles.runtime ?? (portal.workerd[0] as number));
    try {
      const heap = await sampleWorkerHeap(portal.roles.runtime, WORKER_NAME);
      let measured: Awaited<ReturnType<typeof measureExport>>;
      try {
        measured = await measureExport(portal, lines, glDate, {
          maxRuns: JOURNAL_MAX_RUNS,
          runTimeoutMs: JOURNAL_RUN_TIMEOUT_MS,
        });
      } finally {
        const worker = await heap.stop();
        workerHeap.set(lines, { ...worker, capMb: cap ? JOURNAL_HEAP_MB : null });
        log(
          `journal ${lines} lines: Worker isolate heap: peak ${worker.peakUsedMb ?? "-"} MB in ${worker.samples} samples; ` +
            `isolate heaps capped at ${cap ? `${JOURNAL_HEAP_MB} MB` : "no cap"}` +
            (worker.problem ? ` (inspector: ${worker.problem})` : ""),
        );
      }
      reports.push({ ...measured, seedSeconds: Number(seedSeconds.toFixed(1)), dbMiB: Number(dbMiB.toFixed(1)) });
      if (measured.failure) {
        log(`journal ${lines} lines: FAILED after ${measured.seconds} s: ${measured.failure}`);
      } else {
        log(
          `journal ${lines} lines: ${measured.seconds} s in ${measured.runs} run(s), ${measured.d1_queries} queries, ` +
            `peak RSS growth ${measured.peak_mb} MB (runtime ${measured.runtimePeakMb} MB, of it anonymous ${measured.runtimeAnonPeakMb} MB; ` +
            `workerd before: ${measured.rssBeforeMiB} MiB)`,
        );
      }
    } finally {
      await stopPortal(portal);
      removeDir(state);
    }
  }
  return reports;
}

// ---------------------------------------------------------------- report

let seenWorkerd: string | undefined;

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells: Array<string | number>) =>
    cells
      .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i] as number) : String(cell).padStart(widths[i] as number)))
      .join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const started = performance.now();
try {
  log(`BENCH_SECONDS=${SECONDS}, connections=${CONNECTIONS}, journal sizes ${JOURNAL_SIZES.join(", ")}`);
  const snapshot = takeSnapshot(process.env.BENCH_SOURCE || ROOT);
  log(
    `code under test: a copy of ${snapshot.source} at HEAD ${snapshot.head}` +
      (snapshot.uncommitted.length > 0
        ? ` with ${snapshot.uncommitted.length} uncommitted change(s) in src/, migrations/, wrangler.toml`
        : ""),
  );
  const template = await prepareTemplate();
  log("template state ready: D1 migrated, demo partner 10006 seeded");

  const { http, replayed, notes, traces } = runs("http")
    ? await httpBench(template)
    : {
        http: {} as Record<string, ScenarioReport>,
        replayed: {} as Record<string, ScenarioReport>,
        notes: [],
        traces: {} as Record<string, RouteTrace>,
      };
  const capacity = runs("capacity") ? await capacityBench(template) : null;
  const scaling = runs("scaling") ? await scalingBench(template) : null;
  const journal = runs("journal") ? await journalBench(template) : [];

  /** A route's figure over the baseline route's, within one set of reports. */
  const ratioOf =
    (reports: Record<string, ScenarioReport>, figure: "rps" | "cpu_ms_per_req", digits: number) => (name: string) => {
      const base = reports.baseline?.[figure] ?? 0;
      const value = reports[name]?.[figure];
      return base > 0 && value !== undefined ? Number((value / base).toFixed(digits)) : null;
    };
  // With the local D1 simulator's CPU (it runs in the Worker's process), and without it (replayed answers).
  const ratio = ratioOf(http, "rps", 3);
  const replayedRatio = ratioOf(replayed, "rps", 3);
  const cpuRatio = ratioOf(http, "cpu_ms_per_req", 2);
  const workerCpuRatio = ratioOf(replayed, "cpu_ms_per_req", 2);
  const results = {
    http: Object.fromEntries(
      Object.entries(http).map(([name, r]) => [
        name,
        {
          rps: r.rps,
          p50_ms: r.p50_ms,
          p99_ms: r.p99_ms,
          errors: r.errors,
          cpu_ms_per_req: r.cpu_ms_per_req,
        } satisfies HttpResult,
      ]),
    ),
    ratios: { directsale: ratio("directsale"), card_submit: ratio("card_submit"), query: ratio("query") },
    // The Worker's CPU, D1 answered from recorded answers: production runs D1 outside the Worker.
    cpu_ratios: {
      directsale: workerCpuRatio("directsale"),
      query: workerCpuRatio("query"),
      card_submit: workerCpuRatio("card_submit"),
    },
    // The same with the local D1 simulator's CPU in (it shares the Worker's workerd process here).
    cpu_ratios_with_local_d1: {
      directsale: cpuRatio("directsale"),
      query: cpuRatio("query"),
      card_submit: cpuRatio("card_submit"),
    },
    http_d1_replayed: Object.fromEntries(
      Object.entries(replayed).map(([name, r]) => [name, { rps: r.rps, errors: r.errors, cpu_ms_per_req: r.cpu_ms_per_req }]),
    ),
    d1_round_trips: {
      directsale: traces.directsale?.roundTrips ?? null,
      query: traces.query?.roundTrips ?? null,
      card_submit: traces.card_submit?.roundTrips ?? null,
    },
    scaling: scaling && {
      query_p99_ratio_1m_vs_10k: scaling.query_p99_ratio,
      directsale_rps_ratio_1m_vs_10k: scaling.directsale_rps_ratio,
    },
    capacity: capacity && { bytes_per_payment: capacity.bytes_per_payment, payments_per_10gb: capacity.payments_per_10gb },
    // A size whose export failed has null measurements (its failure is printed and in bench/.tmp/details.json).
    journal: journal.map((j) =>
      j.failure === null
        ? {
            lines: j.lines,
            seconds: j.seconds,
            d1_queries: j.d1_queries,
            peak_mb: j.peak_mb,
            worker_heap_peak_mb: workerHeap.get(j.lines)?.peakUsedMb ?? null,
            worker_heap_cap_mb: workerHeap.get(j.lines)?.capMb ?? null,
          }
        : { lines: j.lines, seconds: null, d1_queries: null, peak_mb: null, worker_heap_peak_mb: null, worker_heap_cap_mb: null },
    ),
    machine: { cores: availableParallelism(), node: process.version, workerd: seenWorkerd ?? "unknown" },
  };
  writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    join(LOG_DIR, "details.json"),
    `${JSON.stringify({ snapshot: { source: snapshot.source, head: snapshot.head, uncommitted: snapshot.uncommitted }, settings: { SECONDS, WARMUP_SECONDS, CONNECTIONS, LINES_PER_TRANSACTION, CAPACITY_PAYMENTS, CAPACITY_REFUND_SHARE }, http, replayed, traces, capacity, scaling, journal, workerHeap: Object.fromEntries(workerHeap), notes }, null, 2)}\n`,
  );

  console.log("");
  if (Object.keys(http).length > 0) {
    console.log(
      table(
        [
          "route",
          "req/s",
          "x baseline",
          "p50 ms",
          "p99 ms",
          "errors",
          "CPU ms/req",
          "CPU x baseline",
          "D1 round trips",
          "+ dev proxy",
          "wrangler",
          "requests",
        ],
        Object.entries(http).map(([name, r]) => [
          name,
          r.rps,
          name === "baseline" ? "1" : String(ratio(name)),
          r.p50_ms,
          r.p99_ms,
          r.errors,
          r.cpu_ms_per_req,
          name === "baseline" ? "1" : String(cpuRatio(name) ?? "-"),
          name === "baseline" ? "0" : String(traces[name]?.roundTrips ?? "-"),
          r.cpuByRole.proxy === undefined ? "-" : Number((r.cpu_ms_per_req + r.cpuByRole.proxy).toFixed(3)),
          r.cpuByRole.wrangler ?? "-",
          r.requests,
        ]),
      ),
    );
    console.log(
      "(CPU ms/req: the workerd running the Worker, local D1/R2 included; + dev proxy: with wrangler's forwarding workerd; wrangler: its node process)",
    );
    console.log("");
  }
  if (Object.keys(replayed).length > 0) {
    console.log(
      table(
        ["route (D1 replayed)", "req/s", "CPU ms/req", "Worker CPU x baseline", "with local D1 x baseline", "local D1 ms/req"],
        Object.entries(replayed).map(([name, r]) => [
          name,
          r.rps,
          r.cpu_ms_per_req,
          name === "baseline" ? "1" : String(workerCpuRatio(name) ?? "-"),
          name === "baseline" ? "1" : String(cpuRatio(name) ?? "-"),
          http[name] ? Number((http[name].cpu_ms_per_req - r.cpu_ms_per_req).toFixed(3)) : "-",
        ]),
      ),
    );
    console.log(
      "(D1 replayed: each route's D1 answers recorded once and parsed from JSON after, so the local simulator's CPU is left out; local D1: the difference)",
    );
    console.log("");
  }
  if (capacity) {
    console.log(
      `D1 bytes per payment over its life: ${capacity.bytes_per_payment} (payments per 10 GB: ${capacity.payments_per_10gb}; ` +
        `${capacity.payments} payments, ${capacity.refunded} refunded, ${capacity.notificationsDelivered} notifications delivered)`,
    );
    console.log(
      table(
        ["table (with its indexes)", "bytes/payment", "rows/payment"],
        Object.entries(capacity.perPayment)
          .sort((a, b) => b[1].bytes - a[1].bytes)
          .map(([name, t]) => [name, t.bytes, t.rows]),
      ),
    );
    console.log("");
  }
  if (journal.length > 0) {
    console.log(
      table(
        [
          "journal lines",
          "seconds",
          "lines/s",
          "D1 queries",
          "peak MB",
          "runtime anon MB",
          "Worker heap MB",
          "heap cap",
          "runs",
          "seed s",
          "D1 MiB",
          "status",
        ],
        journal.map((j) => [
          j.lines,
          j.failure === null ? j.seconds : `(${j.seconds})`,
          j.failure === null ? Math.round(j.lines / j.seconds) : "-",
          j.failure === null ? j.d1_queries : "-",
          j.peak_mb,
          j.runtimeAnonPeakMb,
          workerHeap.get(j.lines)?.peakUsedMb ?? "-",
          workerHeap.get(j.lines)?.capMb ?? "-",
          j.runs,
          j.seedSeconds,
          j.dbMiB,
          j.failure === null ? "POSTED" : "FAILED",
        ]),
      ),
    );
    console.log("");
  }
  for (const note of notes) console.log(`note: ${note}`);
  for (const j of journal)
    if (j.failure) console.log(`journal ${j.lines} lines FAILED: ${j.failure.split("\n").slice(0, 3).join(" ")}`);

  // Targets: reported, not enforced (the exit code says whether the benchmark itself ran cleanly).
  const verdicts: string[] = [];
  const verdict = (ok: boolean, text: string) => verdicts.push(`${ok ? "met   " : "MISSED"}  ${text}`);
  // Throughput with the local D1 simulator sharing the Worker's process (and its 2 cores); replayed beside it.
  const ds = ratio("directsale");
  if (ds !== null)
    verdict(
      ds >= TARGETS.directsale,
      `directsale >= ${TARGETS.directsale} x baseline (${ds}; ${replayedRatio("directsale")} with D1 replayed)`,
    );
  const qr = ratio("query");
  if (qr !== null)
    verdict(qr >= TARGETS.query, `query >= ${TARGETS.query} x baseline (${qr}; ${replayedRatio("query")} with D1 replayed)`);
  for (const [name, target] of Object.entries(TARGETS.cpuRatio)) {
    const value = workerCpuRatio(name);
    const withD1 = cpuRatio(name);
    if (value !== null)
      verdict(
        value <= target,
        `${name} Worker CPU <= ${target} x baseline CPU per request (${value}; ${withD1} with the local D1 simulator's CPU)`,
      );
  }
  for (const [name, r] of Object.entries(http)) {
    verdict(r.cpu_ms_per_req < TARGETS.cpuMsPerReq, `${name} CPU < ${TARGETS.cpuMsPerReq} ms/request (${r.cpu_ms_per_req})`);
  }
  if (scaling) {
    verdict(
      scaling.query_p99_ratio <= TARGETS.scalingRatio.queryP99,
      `query p99 at ${scaling.largest} payments <= ${TARGETS.scalingRatio.queryP99} x at ${scaling.smallest} (${scaling.query_p99_ratio})`,
    );
    verdict(
      scaling.directsale_rps_ratio >= TARGETS.scalingRatio.directsaleRps,
      `directsale req/s at ${scaling.largest} payments >= ${TARGETS.scalingRatio.directsaleRps} x at ${scaling.smallest} (${scaling.directsale_rps_ratio})`,
    );
    const scans = Object.values(scaling.plans)
      .flat()
      .filter((p) => p.fullScan).length;
    verdict(scans === 0, `hot queries use indexes at ${scaling.largest} payments (${scans} full-table scans)`);
  }
  const million = journal.find((j) => j.lines === 1_000_000);
  if (million) {
    verdict(
      million.failure === null && million.seconds < TARGETS.journalMillionSeconds,
      `1,000,000-line journal POSTED in < 60 s (${million.failure === null ? `${million.seconds} s` : "FAILED"})`,
    );
  }
  const good = journal.filter((j) => j.failure === null);
  if (good.length >= 2) {
    const first = good[0] as JournalReport;
    const last = good[good.length - 1] as JournalReport;
    const growth = last.seconds / last.lines / (first.seconds / first.lines);
    verdict(
      growth < 1.5,
      `journal time linear in lines (s/line at ${last.lines} = ${growth.toFixed(2)} x s/line at ${first.lines})`,
    );
    verdict(
      last.peak_mb < Math.max(64, first.peak_mb * 2),
      `journal memory flat with volume, whole workerd process with local D1/R2 (peak ${first.peak_mb} MB at ${first.lines}, ${last.peak_mb} MB at ${last.lines})`,
    );
    const caps = good.map((j) => workerHeap.get(j.lines)?.capMb ?? null);
    if (caps.every((cap) => cap !== null)) {
      verdict(
        good.length === journal.length,
        `journal Worker heap bounded: every size posted with each isolate's heap capped at ${caps[0]} MB`,
      );
    }
    const peaks = good.map((j) => workerHeap.get(j.lines)?.peakUsedMb ?? null);
    const firstPeak = peaks[0];
    const lastPeak = peaks[peaks.length - 1];
    if (firstPeak != null && lastPeak != null) {
      verdict(
        lastPeak < Math.max(16, firstPeak * 2),
        `journal Worker isolate heap flat with volume (sampled peak ${firstPeak} MB at ${first.lines}, ${lastPeak} MB at ${last.lines})`,
      );
    }
  }
  for (const line of verdicts) console.log(line);
  const errors = Object.values(http).reduce((sum, r) => sum + r.errors, 0);
  const failed = journal.filter((j) => j.failure !== null).length;
  log(`results written to bench/results.json; total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const problem = [errors > 0 ? `${errors} HTTP errors` : "", failed > 0 ? `${failed} journal export(s) failed` : ""].filter(
    Boolean,
  );
  await finish(problem.length > 0 ? 1 : 0, problem.length > 0 ? `FAILED: ${problem.join(", ")} (see above)` : undefined);
} catch (error) {
  await finish(1, `FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}
