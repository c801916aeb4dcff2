/**
 * `npm run bench:report -- [results.json [details.json]]`: the tables of docs/SCALING.md as markdown,
 * from the last `npm run bench` (bench/results.json and bench/.tmp/details.json by default). Paste
 * them over the doc's tables after a run.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const results = JSON.parse(readFileSync(process.argv[2] ?? join(ROOT, "bench/results.json"), "utf8"));
const detailsPath = process.argv[3] ?? join(ROOT, "bench/.tmp/details.json");
const details = existsSync(detailsPath) ? JSON.parse(readFileSync(detailsPath, "utf8")) : {};

const out: string[] = [];
const row = (cells: Array<string | number | null | undefined>) =>
  `| ${cells.map((c) => (c === null || c === undefined ? "–" : String(c))).join(" | ")} |`;
const met = (ok: boolean) => (ok ? "met" : "**missed**");

out.push(`Machine: ${results.machine?.cores} cores, Node ${results.machine?.node}, workerd ${results.machine?.workerd}.`, "");

if (results.capacity) {
  const c = details.capacity ?? {};
  out.push("### Capacity", "");
  out.push(row(["measure", "value"]), row(["---", "---:"]));
  out.push(row(["payments driven through HTTP", c.payments]));
  out.push(row(["of them refunded (one partial refund)", c.refunded]));
  out.push(row(["notifications delivered", c.notificationsDelivered]));
  out.push(row(["**D1 bytes per payment** (`capacity.bytes_per_payment`)", `**${results.capacity.bytes_per_payment}**`]));
  out.push(
    row(["payments per 10 GB (`capacity.payments_per_10gb`)", results.capacity.payments_per_10gb.toLocaleString("en-CA")]),
  );
  out.push("");
  if (c.perPayment) {
    out.push(row(["table (with its indexes)", "bytes / payment", "rows / payment"]), row(["---", "---:", "---:"]));
    for (const [name, t] of Object.entries(c.perPayment as Record<string, { bytes: number; rows: number }>).sort(
      (a, b) => b[1].bytes - a[1].bytes,
    ))
      out.push(row([`\`${name}\``, t.bytes, t.rows]));
    out.push("");
  }
}

if (Object.keys(results.http ?? {}).length > 0) {
  const targets: Record<string, { cpu: number; rps?: number }> = {
    directsale: { cpu: 2.0, rps: 0.5 },
    query: { cpu: 1.5, rps: 0.7 },
    card_submit: { cpu: 3.0 },
  };
  const replayed = results.http_d1_replayed ?? {};
  const replayedRatio = (name: string) => {
    const base = replayed.baseline?.rps;
    const value = replayed[name]?.rps;
    return base && value ? Number((value / base).toFixed(3)) : null;
  };
  out.push("### CPU and throughput against the baseline route (same run)", "");
  out.push(
    "Worker CPU: the same routes with D1's answers replayed in the Worker (`src/db/roundTrips.ts`), so the local D1",
    "simulator's CPU, which shares the Worker's workerd process here and runs elsewhere in production, is left out.",
    "",
  );
  out.push(
    row([
      "route",
      "Worker CPU ms/req",
      "Worker CPU × baseline",
      "target",
      "",
      "with local D1: CPU ×",
      "with local D1: req/s ×",
      "target",
      "",
      "req/s × (D1 replayed)",
      "D1 round trips",
    ]),
    row(["---", "---:", "---:", "---:", "---", "---:", "---:", "---:", "---", "---:", "---:"]),
  );
  out.push(row(["baseline", replayed.baseline?.cpu_ms_per_req, 1, "", "", 1, 1, "", "", 1, 0]));
  for (const [name, t] of Object.entries(targets)) {
    const cpu = results.cpu_ratios?.[name];
    const rps = results.ratios?.[name];
    out.push(
      row([
        name,
        replayed[name]?.cpu_ms_per_req,
        cpu,
        `≤ ${t.cpu}`,
        cpu === null || cpu === undefined ? "" : met(cpu <= t.cpu),
        results.cpu_ratios_with_local_d1?.[name],
        rps,
        t.rps === undefined ? "" : `≥ ${t.rps}`,
        t.rps === undefined || rps === null || rps === undefined ? "" : met(rps >= t.rps),
        replayedRatio(name),
        results.d1_round_trips?.[name],
      ]),
    );
  }
  out.push("");
  const traces = details.traces as Record<string, { roundTrips: number; processorRoundTrips: number }> | undefined;
  if (traces) {
    out.push(row(["every traced route", "D1 round trips / request", "sandbox processor's own"]), row(["---", "---:", "---:"]));
    for (const [name, t] of Object.entries(traces)) out.push(row([`\`${name}\``, t.roundTrips, t.processorRoundTrips]));
    out.push("");
  }
}

if (results.scaling) {
  const s = details.scaling ?? {};
  out.push("### Scaling", "");
  out.push(
    row(["payments in D1", "D1 MiB", "route", "req/s", "p50 ms", "p99 ms", "errors"]),
    row(["---:", "---:", "---", "---:", "---:", "---:", "---:"]),
  );
  for (const size of s.sizes ?? []) {
    for (const [name, r] of Object.entries(
      size.http as Record<string, { rps: number; p50_ms: number; p99_ms: number; errors: number }>,
    ))
      out.push(row([size.payments.toLocaleString("en-CA"), size.dbMiB, name, r.rps, r.p50_ms, r.p99_ms, r.errors]));
  }
  out.push("");
  out.push(
    `- \`scaling.query_p99_ratio_1m_vs_10k\`: **${results.scaling.query_p99_ratio_1m_vs_10k}** (${s.largest} vs ${s.smallest} payments)`,
  );
  out.push(`- \`scaling.directsale_rps_ratio_1m_vs_10k\`: **${results.scaling.directsale_rps_ratio_1m_vs_10k}**`);
  // The same ratios with each size's numbers taken relative to its own baseline route: load from
  // other work on the machine during one size's run weighs on both.
  const routesAt = (payments: number) =>
    ((s.sizes ?? []) as Array<{ payments: number; http: Record<string, { rps: number; p99_ms: number }> }>).find(
      (size) => size.payments === payments,
    )?.http ?? {};
  const small = routesAt(s.smallest);
  const large = routesAt(s.largest);
  const p99 = (http: typeof small) => (http.query?.p99_ms ?? Number.NaN) / (http.baseline?.p99_ms ?? Number.NaN);
  const rps = (http: typeof small) => (http.directsale?.rps ?? Number.NaN) / (http.baseline?.rps ?? Number.NaN);
  out.push(
    `- relative to each size's own baseline route: query p99 ratio **${(p99(large) / p99(small)).toFixed(3)}**, ` +
      `directsale req/s ratio **${(rps(large) / rps(small)).toFixed(3)}**`,
  );
  out.push("");
  if (s.plans) {
    out.push(`### Query plans on ${Number(s.largest).toLocaleString("en-CA")} payments`, "");
    for (const [route, plans] of Object.entries(
      s.plans as Record<string, Array<{ sql: string; plan: string[]; fullScan: boolean }>>,
    )) {
      const shown = plans.filter((p) => p.plan.length > 0);
      const scans = shown.filter((p) => p.fullScan).length;
      out.push(`<details><summary><b>${route}</b>: ${shown.length} statements, ${scans} full-table scans</summary>`, "");
      for (const p of shown) {
        out.push("```sql", p.sql.length > 600 ? `${p.sql.slice(0, 600)} …` : p.sql, "```", "```", ...p.plan, "```", "");
      }
      out.push("</details>", "");
    }
  }
}

if ((results.journal ?? []).length > 0) {
  out.push("### Journal export memory", "");
  out.push(
    row([
      "lines",
      "seconds",
      "whole workerd peak MB (Worker + local D1/R2)",
      "Worker isolate heap peak MB",
      "isolate heap cap MB",
    ]),
    row(["---:", "---:", "---:", "---:", "---:"]),
  );
  for (const j of results.journal) {
    out.push(
      row([j.lines.toLocaleString("en-CA"), j.seconds ?? "FAILED", j.peak_mb, j.worker_heap_peak_mb, j.worker_heap_cap_mb]),
    );
  }
  out.push("");
}

console.log(out.join("\n"));
