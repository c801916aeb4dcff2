/**
 * Worker entry point: HTTP through the Hono app, Cron Triggers through the scheduled handler, queues
 * by name (jobs/queue.ts: receipts, partner notifications).
 */
import { createApp } from "./app.tsx";
import { readConfig } from "./config.ts";
import { benchEnv } from "./db/roundTrips.ts";
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
    // benchEnv: env itself unless `npm run bench` switched D1 counting or replay on (BENCH=true only).
    return app.fetch(request, benchEnv(env), ctx);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller, benchEnv(env)));
  },
  async queue(batch, env, _ctx) {
    await runQueue(batch, benchEnv(env));
  },
} satisfies ExportedHandler<Env>;
