/**
 * A partner's webhook endpoint, for tests: runs in Node (vitest globalSetup) on 127.0.0.1 and
 * records what it receives per bucket (`POST /hooks/<bucket>`). A test scripts the answers a bucket
 * gives (`PUT /_script/<bucket>` with `[{status, headers?, delayMs?}]`, one per request, then 204)
 * and reads what arrived (`GET /_received/<bucket>`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import type { ReceivedWebhook, ScriptedAnswer } from "./webhookTypes.ts";

export async function startWebhookReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const { createServer } = await import("node:http");
  const received = new Map<string, ReceivedWebhook[]>();
  const scripts = new Map<string, ScriptedAnswer[]>();
  const readBody = (request: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      request.on("error", reject);
    });
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const [, kind, bucket = ""] = (request.url ?? "/").split("?")[0]?.split("/") ?? [];
    const body = await readBody(request);
    if (kind === "_script" && request.method === "PUT") {
      scripts.set(bucket, JSON.parse(body) as ScriptedAnswer[]);
      response.writeHead(204).end();
    } else if (kind === "_received" && request.method === "GET") {
      response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(received.get(bucket) ?? []));
    } else if (kind === "hooks" && request.method === "POST") {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers[name] = value;
      received.set(bucket, [...(received.get(bucket) ?? []), { headers, body }]);
      const answer = scripts.get(bucket)?.shift() ?? { status: 204 };
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (!response.destroyed) response.writeHead(answer.status, answer.headers ?? {}).end();
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
