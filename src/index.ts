/** Worker entry point: HTTP through the Hono app, Cron Triggers through the scheduled handler. */
import { createApp } from "./app.tsx";
import { runScheduled } from "./jobs/scheduled.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;
