/**
 * Worker entry point: HTTP through the Hono app, Cron Triggers through the scheduled handler, queues
 * by name (jobs/queue.ts: receipts, partner notifications).
 */
import { createApp } from "./app.tsx";
import { readConfig } from "./config.ts";
import { countingEnv } from "./db/roundTrips.ts";
import { runQueue } from "./jobs/queue.ts";
import { runScheduled } from "./jobs/scheduled.ts";

// The app depends on one deployment setting (the API base path); build it once per isolate.
const apps = new Map<string, ReturnType<typeof createApp>>();

export default {
  fetch(request, env, ctx) {
    const { apiBasePath, refundBasePath } = readConfig(env);
    const key = `${apiBasePath} ${refundBasePath}`;
    let app = apps.get(key);
    if (!app) {
      app = createApp(apiBasePath, refundBasePath);
      apps.set(key, app);
    }
    // countingEnv: env itself unless `npm run bench` switched D1 round-trip counting on (BENCH=true only).
    return app.fetch(request, countingEnv(env), ctx);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller, countingEnv(env)));
  },
  async queue(batch, env, _ctx) {
    await runQueue(batch, countingEnv(env));
  },
} satisfies ExportedHandler<Env>;
