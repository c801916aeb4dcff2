/**
 * The Worker's DevTools protocol through wrangler's inspector port: CPU profiles
 * of the Worker isolate (not of workerd's local D1/R2 simulators, which run outside it).
 */

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export interface Inspector {
  call<T = unknown>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  close(): void;
}

const CALL_TIMEOUT_MS = 30_000;

interface Target {
  webSocketDebuggerUrl?: string;
  title?: string;
  id?: string;
}

async function targetsAt(port: number): Promise<Target[]> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? ((await response.json()) as Target[]) : [];
  } catch {
    return [];
  }
}

/**
 * The Worker's inspector straight from the runtime workerd (one of the ports it listens on), not
 * through wrangler's inspector proxy: under load the proxy sometimes stops answering.
 */
export async function connectRuntimeInspector(ports: readonly number[], workerName: string): Promise<Inspector> {
  for (const port of ports) {
    const targets = await targetsAt(port);
    const target = targets.find(
      (t) => t.webSocketDebuggerUrl && (t.id === workerName || String(t.id).endsWith(`:${workerName}`)),
    );
    if (target?.webSocketDebuggerUrl) return connectUrl(target.webSocketDebuggerUrl);
  }
  throw new Error(`no inspector among the runtime's ports ${ports.join(", ")}`);
}

export async function connectInspector(port: number): Promise<Inspector> {
  const targets = await targetsAt(port);
  const url = targets.find((target) => target.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  return connectUrl(url);
}

async function connectUrl(url: string): Promise<Inspector> {
  // wrangler's inspector proxy wants an allowed Origin (localhost); Node's WebSocket (undici) takes headers.
  const init = { headers: { Origin: "http://localhost" } } as unknown as string[];
  const socket = new WebSocket(url, init);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no connection to ${url} within ${CALL_TIMEOUT_MS / 1000} s`)),
      CALL_TIMEOUT_MS,
    );
    socket.addEventListener(
      "open",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
    socket.addEventListener(
      "error",
      () => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${url}`));
      },
      { once: true },
    );
  });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id === undefined) return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) waiting.reject(new Error(message.error.message));
    else waiting.resolve(message.result);
  });
  return {
    call<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = CALL_TIMEOUT_MS) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve, reject) => {
        // A DevTools call that gets no answer must not hang the benchmark.
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`inspector: no answer to ${method} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            (resolve as (value: unknown) => void)(value);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
    },
    close() {
      socket.close();
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuProfileSummary {
  /** Sampled milliseconds in all (idle included). */
  totalMs: number;
  /** Self time by source file (or V8 pseudo-frame: (program), (garbage collector), (idle)), heaviest first. */
  byFile: Array<{ file: string; ms: number; share: number }>;
  /** Self time by function, heaviest first. */
  byFunction: Array<{ fn: string; ms: number; share: number }>;
  /** Inclusive time (itself and what it called) of the portal's own functions (src/), heaviest first. */
  byPortalFunction: Array<{ fn: string; ms: number; share: number }>;
  /** The raw profile, for Chrome DevTools (Performance > Load profile). */
  profile: unknown;
}

/**
 * Maps a line of wrangler's (unminified) bundle to the source module it came from, by the
 * `// src/...` and `// node_modules/...` markers esbuild writes before each module.
 */
export function bundleModules(bundleText: string): (line: number) => string | null {
  const markers: Array<[number, string]> = [];
  bundleText.split("\n").forEach((text, index) => {
    const match = /^\/\/ ((?:src|node_modules|\.\.\/)\S*)$/.exec(text);
    if (match) markers.push([index, (match[1] as string).replace(/^(node_modules\/(?:@[^/]+\/)?[^/]+)\/.*$/, "$1")]);
  });
  return (line) => {
    let low = 0;
    let high = markers.length - 1;
    let found: string | null = null;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const [at, name] = markers[mid] as [number, string];
      if (at <= line) {
        found = name;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found;
  };
}

/**
 * A DevTools session on which the Profiler answers. The runtime's inspector sometimes leaves a
 * fresh session unanswered (seen with workerd 2026-11-17): such a session is closed and another opened.
 */
export async function openProfilerSession(connectors: Array<() => Promise<Inspector>>, attempts = 6): Promise<Inspector> {
  let last: unknown = null;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const connect = connectors[attempt % connectors.length] as () => Promise<Inspector>;
    let inspector: Inspector | null = null;
    try {
      inspector = await connect();
      await inspector.call("Profiler.enable", {}, 5000);
      return inspector;
    } catch (error) {
      last = error;
      inspector?.close();
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/** CPU profile of the Worker isolate while `work` runs: self time per file and per function. */
export async function profileCpu(
  inspector: Inspector,
  work: () => Promise<void>,
  moduleOf: (line: number) => string | null = () => null,
  top = 40,
): Promise<CpuProfileSummary> {
  await inspector.call("Profiler.enable");
  await inspector.call("Profiler.setSamplingInterval", { interval: 200 });
  await inspector.call("Profiler.start");
  let profile: Profile;
  try {
    await work();
  } finally {
    profile = (await inspector.call<{ profile: Profile }>("Profiler.stop")).profile;
  }
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const portalKey = (node: ProfileNode): string | null => {
    const frame = node.callFrame;
    const file = /(^|\/)index\.js$/.test(frame.url) ? moduleOf(frame.lineNumber) : null;
    return file?.startsWith("src/") ? `${frame.functionName || "(anonymous)"} ${file}` : null;
  };
  const byPortalFunction = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((nodeId, i) => {
    const node = byNode.get(nodeId);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const frame = node.callFrame;
    const bundled = /(^|\/)index\.js$/.test(frame.url) ? moduleOf(frame.lineNumber) : null;
    const file = bundled ?? frame.url.replace(/^.*\//, "");
    const fileKey = file || frame.functionName || "(native)";
    const fnKey = `${frame.functionName || "(anonymous)"}${file ? ` ${file}:${frame.lineNumber + 1}` : ""}`;
    byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + delta);
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + delta);
    total += delta;
    // Inclusive: each portal function on the sampled stack once (recursion counted once).
    const seen = new Set<string>();
    for (let id: number | undefined = nodeId; id !== undefined; id = parentOf.get(id)) {
      const key = portalKey(byNode.get(id) as ProfileNode);
      if (key && !seen.has(key)) {
        seen.add(key);
        byPortalFunction.set(key, (byPortalFunction.get(key) ?? 0) + delta);
      }
    }
  });
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, micros]) => ({ key, ms: Math.round(micros / 100) / 10, share: Math.round((micros / total) * 1000) / 10 }));
  return {
    totalMs: Math.round(total / 1000),
    byFile: rank(byFile).map(({ key, ms, share }) => ({ file: key, ms, share })),
    byFunction: rank(byFunction).map(({ key, ms, share }) => ({ fn: key, ms, share })),
    byPortalFunction: rank(byPortalFunction).map(({ key, ms, share }) => ({ fn: key, ms, share })),
    profile,
  };
}
