/**
 * HTTP scenarios: autocannon (programmatic API) against the portal for a fixed duration, with the
 * workerd CPU time consumed during the run read from /proc before and after. A scenario may be
 * measured in several slices (rounds interleaved with the other scenarios, so that other work on
 * a shared machine weighs on every route alike); `summarize` merges them.
 */
import { readFileSync } from "node:fs";
import autocannon, { type Request, type Result } from "autocannon";
import { cpuSeconds } from "./proc.ts";

/** One route's line in bench/results.json. */
export interface HttpResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  cpu_ms_per_req: number;
}

export interface ScenarioReport extends HttpResult {
  requests: number;
  seconds: number;
  slices: number;
  /** CPU ms per request by process: runtime (Worker + local D1/R2), proxy (wrangler's entry workerd), wrangler (node), bench (autocannon). */
  cpuByRole: Record<string, number>;
  /** 1-minute load average before each slice (other work on the machine). */
  loadBefore: number[];
  /** A few examples of what counted as errors. */
  problems: string[];
}

export interface Scenario {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration: number;
  amount?: number | undefined;
  /** At most this many requests in all (card submissions: the prepared payments). */
  maxOverallRequests?: number | undefined;
  /** Builds each request (a new pbcTxnNumber, the next prepared payment, ...). */
  next: () => Request;
  /** What a correct answer is: status and, for redirects, the Location header. */
  check: (status: number, headers: Record<string, string>) => string | null;
}

export interface Measured {
  /** The pids whose CPU time is cpu_ms_per_req. */
  workerd: readonly number[];
  roles: Record<string, number>;
}

/** The raw measurements of one slice. */
export interface Slice {
  requests: number;
  seconds: number;
  errors: number;
  problems: string[];
  latencies: number[];
  /** CPU seconds of the workerd processes together, and per role (plus "bench": this process). */
  cpuWorkerd: number;
  cpuByRole: Record<string, number>;
  loadBefore: number;
}

function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return 0;
  }
}

/** Runs one slice of a scenario and measures it. */
export async function runSlice(scenario: Scenario, target: Measured): Promise<Slice> {
  let bad = 0;
  const problems: string[] = [];
  const latencies: number[] = [];
  const instance = autocannon({
    url: scenario.url,
    connections: scenario.connections,
    duration: scenario.duration,
    timeout: 30,
    ...(scenario.amount !== undefined ? { amount: scenario.amount } : {}),
    ...(scenario.maxOverallRequests !== undefined ? { maxOverallRequests: scenario.maxOverallRequests } : {}),
    requests: [
      {
        setupRequest: (request) => ({ ...request, ...scenario.next() }),
        onResponse: (status, body, _context, headers) => {
          const problem = scenario.check(status, lowerCaseKeys(headers));
          if (problem === null) return;
          bad++;
          if (problems.length < 5) problems.push(`${problem} ${String(body ?? "").slice(0, 200)}`);
        },
      },
    ],
  });
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const loadBefore = loadAverage();
  const roles = Object.entries(target.roles);
  const rolesBefore = roles.map(([, pid]) => cpuSeconds([pid]));
  const benchBefore = process.cpuUsage();
  const cpuBefore = cpuSeconds(target.workerd);
  const result: Result = await instance;
  const cpuAfter = cpuSeconds(target.workerd);
  const bench = process.cpuUsage(benchBefore);
  const rolesAfter = roles.map(([, pid]) => cpuSeconds([pid]));
  const requests = Object.values(result.statusCodeStats).reduce((sum, stat) => sum + Number(stat.count), 0);
  if (result.errors > 0 && problems.length < 5) problems.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
  return {
    requests,
    seconds: result.duration,
    errors: bad + result.errors,
    problems,
    latencies,
    cpuWorkerd: cpuAfter - cpuBefore,
    cpuByRole: Object.fromEntries([
      ...roles.map(([role], i) => [role, (rolesAfter[i] as number) - (rolesBefore[i] as number)]),
      ["bench", (bench.user + bench.system) / 1e6],
    ]),
    loadBefore,
  };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Merges the slices of one scenario: rates over the summed time, percentiles over every response. */
export function summarize(slices: readonly Slice[]): ScenarioReport {
  const requests = slices.reduce((sum, slice) => sum + slice.requests, 0);
  const seconds = slices.reduce((sum, slice) => sum + slice.seconds, 0);
  const latencies = slices.flatMap((slice) => slice.latencies).sort((a, b) => a - b);
  const perRequest = (cpuSeconds: number) => (requests > 0 ? round((cpuSeconds * 1000) / requests, 3) : 0);
  const roles = new Set(slices.flatMap((slice) => Object.keys(slice.cpuByRole)));
  return {
    rps: seconds > 0 ? round(requests / seconds, 1) : 0,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    errors: slices.reduce((sum, slice) => sum + slice.errors, 0),
    cpu_ms_per_req: perRequest(slices.reduce((sum, slice) => sum + slice.cpuWorkerd, 0)),
    requests,
    seconds: round(seconds),
    slices: slices.length,
    cpuByRole: Object.fromEntries(
      [...roles].map((role) => [role, perRequest(slices.reduce((sum, slice) => sum + (slice.cpuByRole[role] ?? 0), 0))]),
    ),
    loadBefore: slices.map((slice) => slice.loadBefore),
    problems: slices.flatMap((slice) => slice.problems).slice(0, 5),
  };
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) out[key.toLowerCase()] = value;
  return out;
}
