/**
 * The webhook commands of the partner CLI and `support webhooks`, run as an operator runs them (one
 * process each, --json, a fresh local state): the secret shown once, a ping verified by the
 * independent `standardwebhooks` verifier at a loopback endpoint, rotation, the delivery log, removal.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliJson, ROOT, removeTempDirs, runCli, tempDir } from "./helpers.ts";

interface Received {
  headers: Record<string, string>;
  body: string;
}

const received: Received[] = [];
let endpoint = "";
const server = createServer((request: IncomingMessage, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers[name] = value;
    received.push({ headers, body: Buffer.concat(chunks).toString("utf8") });
    response.writeHead(request.url === "/gone" ? 410 : 200).end();
  });
});

beforeAll(async () => {
  process.chdir(ROOT);
  process.env.WRANGLER_LOG = "warn";
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

describe("webhook commands", () => {
  it("set, test, rotate, list deliveries, remove", async () => {
    const dir = tempDir("paybc-webhook-cli-");
    const ref = "10123";
    await cliJson(["create", "--ref", ref, "--name", "Webhook Ministry", "--redirect", "https://partner.example.ca/return"], dir);

    const refused = await runCli([
      "set-webhook",
      "--ref",
      ref,
      "--url",
      "http://partner.example.ca/hook",
      "--json",
      "--persist-to",
      dir,
    ]);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr).message).toMatch(/localhost/);

    const set = await cliJson<{ url: string; secret: string; events: string[] }>(
      ["set-webhook", "--ref", ref, "--url", `${endpoint}/hook`, "--events", "payment.approved,payment.posted"],
      dir,
    );
    expect(set.url).toBe(`${endpoint}/hook`);
    expect(set.events).toEqual(["payment.approved", "payment.posted"]);
    expect(set.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const ping = await cliJson<{ result: { kind: string } }>(["test-webhook", "--ref", ref], dir);
    expect(ping.result.kind).toBe("delivered");
    expect((new Webhook(set.secret).verify(received[0]?.body ?? "", received[0]?.headers ?? {}) as { type: string }).type).toBe(
      "ping",
    );

    const rotated = await cliJson<{ secret: string }>(["rotate-webhook-secret", "--ref", ref, "--grace-hours", "2"], dir);
    await cliJson(["test-webhook", "--ref", ref], dir);
    const second = received[1] as Received;
    expect(second.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(() => new Webhook(set.secret).verify(second.body, second.headers)).not.toThrow();
    expect(() => new Webhook(rotated.secret).verify(second.body, second.headers)).not.toThrow();

    const deliveries = await cliJson<{ deliveries: Array<{ eventType: string; status: string; attempts: number }> }>(
      ["webhook-deliveries", "--ref", ref],
      dir,
    );
    expect(deliveries.deliveries.map((d) => [d.eventType, d.status, d.attempts])).toEqual([
      ["ping", "DELIVERED", 1],
      ["ping", "DELIVERED", 1],
    ]);

    const support = await runCli(["webhooks", "--ref", ref, "--log", "--persist-to", dir], { script: "scripts/support.ts" });
    expect(support.code, support.stderr).toBe(0);
    expect(support.stdout).toMatch(/ping {2}DELIVERED {2}attempts 1/);
    expect(support.stdout).toMatch(/#1 .* HTTP 200/);
    // The signed body is kept until WEBHOOK_BODY_RETENTION_DAYS after delivery (test/outboxRetention.test.ts clears it).
    expect(support.stdout).toMatch(/ping {2}DELIVERED {2}attempts 1 .*body kept \(\d+ bytes\)/);

    await cliJson(["remove-webhook", "--ref", ref], dir);
    const none = await runCli(["test-webhook", "--ref", ref, "--json", "--persist-to", dir]);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stderr).message).toMatch(/no webhook/);
  });
});
