/**
 * The Worker isolate's own V8 heap, read through the runtime's inspector (`Runtime.getHeapUsage`),
 * apart from the workerd process's RSS (which also holds the local D1 and R2 simulators, SQLite's
 * page cache and the runtime itself). Sampled while the nightly export runs; when the isolate is
 * too busy to answer, a sample is skipped, so the run also caps every isolate's heap (journal.ts).
 */
import { connectRuntimeInspector, type Inspector } from "./inspector.ts";
import { listeningPorts } from "./proc.ts";

export interface HeapSampler {
  stop(): Promise<{ peakUsedMb: number | null; samples: number; problem: string }>;
}

const MB = 1024 * 1024;

export async function sampleWorkerHeap(
  runtimePid: number | undefined,
  workerName: string,
  intervalMs = 100,
): Promise<HeapSampler> {
  let inspector: Inspector | null = null;
  let problem = runtimePid === undefined ? "no runtime process" : "";
  // A fresh session is sometimes left unanswered (inspector.ts): close it and open another.
  for (let attempt = 0; attempt < 6 && runtimePid !== undefined && inspector === null; attempt++) {
    let session: Inspector | null = null;
    try {
      session = await connectRuntimeInspector(listeningPorts(runtimePid), workerName);
      await session.call("Runtime.getHeapUsage", {}, 3000);
      inspector = session;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
      session?.close();
    }
  }
  let peak = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running && inspector) {
      try {
        const usage = await inspector.call<{ usedSize: number }>("Runtime.getHeapUsage", {}, 1000);
        peak = Math.max(peak, usage.usedSize);
        samples++;
      } catch {
        // busy or gone: no sample this time
      }
      await new Promise((done) => setTimeout(done, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      inspector?.close();
      return {
        peakUsedMb: samples > 0 ? Number((peak / MB).toFixed(1)) : null,
        samples,
        problem: inspector ? "" : problem,
      };
    },
  };
}
