/**
 * Linux /proc readings for the portal's workerd processes: CPU time (utime + stime, all threads)
 * and resident memory. workerd is found as a descendant of the wrangler process we started.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 on Linux in practice). */
export const CLOCK_TICKS = (() => {
  const result = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(result.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

interface StatLine {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

function readStat(pid: number): StatLine | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null; // gone
  }
  // The command name is in parentheses and may hold spaces: split after the last ")".
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime field 14, stime field 15.
  return {
    pid,
    comm: text.slice(open + 1, close),
    ppid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
  };
}

/** Every process below `root` (children, grandchildren, ...). */
export function descendants(root: number): StatLine[] {
  const all: StatLine[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) all.push(stat);
  }
  const children = new Map<number, StatLine[]>();
  for (const stat of all) {
    const list = children.get(stat.ppid) ?? [];
    list.push(stat);
    children.set(stat.ppid, list);
  }
  const found: StatLine[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
}

/** The loopback TCP ports a process listens on (its socket inodes matched against /proc/net/tcp). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1] as string);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ... inode (index 9); st 0A = LISTEN
      if (fields[3] === "0A" && inodes.has(fields[9] ?? ""))
        ports.push(Number.parseInt((fields[1] ?? "").split(":")[1] ?? "0", 16));
    }
  }
  return ports;
}

/** `workerd --version` of a running workerd process. */
export function workerdVersion(pid: number): string {
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    return spawnSync(exe, ["--version"], { encoding: "utf8" })
      .stdout.trim()
      .replace(/^workerd\s+/, "");
  } catch {
    return "unknown";
  }
}

/** The workerd processes serving a portal started as `wranglerPid`. */
export function workerdPids(wranglerPid: number): number[] {
  return descendants(wranglerPid)
    .filter((stat) => stat.comm.startsWith("workerd"))
    .map((stat) => stat.pid);
}

/** CPU seconds (user + system, every thread) consumed so far by these processes. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.cpuTicks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** Memory of these processes together, in KiB: VmRSS, or its RssAnon / RssFile / RssShmem parts. */
export function rssKiB(pids: readonly number[], field: "VmRSS" | "RssAnon" | "RssFile" | "RssShmem" = "VmRSS"): number {
  let total = 0;
  const pattern = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m");
  for (const pid of pids) {
    try {
      const match = pattern.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      total += match ? Number(match[1]) : 0;
    } catch {
      // gone
    }
  }
  return total;
}

export interface RssPeaks {
  /** Peak VmRSS. */
  peakKiB: number;
  /** Peak anonymous memory (heaps: JS, SQLite page cache, buffers), without file-backed pages. */
  peakAnonKiB: number;
  samples: number;
}

/** Samples the RSS every `intervalMs` until stopped; reports the peaks. */
export function sampleRss(pids: readonly number[], intervalMs = 100): { stop(): RssPeaks } {
  const peaks: RssPeaks = { peakKiB: 0, peakAnonKiB: 0, samples: 0 };
  const sample = () => {
    peaks.peakKiB = Math.max(peaks.peakKiB, rssKiB(pids));
    peaks.peakAnonKiB = Math.max(peaks.peakAnonKiB, rssKiB(pids, "RssAnon"));
    peaks.samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
