/**
 * A local fake of BC's Common Hosted Email Service (bcgov/common-hosted-email-service) and the
 * realm's OAuth2 token endpoint, for tests. Runs in Node (vitest globalSetup) on 127.0.0.1; tests
 * inside workerd reach it over loopback with `inject("chesUrl")`.
 *
 * - POST /token: client credentials (HTTP Basic, `grant_type=client_credentials`). A client is
 *   known when its id starts with FAKE_CHES_CLIENT_PREFIX and its secret is fakeChesSecret(id);
 *   anything else is a 401 `invalid_client`. Answers `{access_token, expires_in, token_type}`.
 * - POST /api/v1/email: a Bearer token the fake issued and has not revoked, else 401. The JSON body
 *   is checked as CHES checks it (from, to[], subject, body, bodyType html|text), else 422. A
 *   recipient starting with "refuse" is a 422 (as CHES answers a bad address); one starting with
 *   "busy" a 503. Otherwise 201 `{messages: [{msgId, to}], txId}`, and the message is kept.
 * - Test controls: GET /__messages?to=ADDRESS (what was accepted for that address), GET
 *   /__tokens?client=ID (how many tokens that client was issued), POST /__revoke?client=ID (its
 *   tokens stop working, as when the realm rotates keys).
 */
// Types only at the top: tests inside workerd import this file's constants, so Node modules load lazily.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { type AcceptedEmail, FAKE_CHES_CLIENT_PREFIX, fakeChesSecret } from "./chesFakeClients.ts";

export interface ChesFake {
  url: string;
  close(): Promise<void>;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startChesFake(): Promise<ChesFake> {
  /** token -> client id, while valid. */
  const tokens = new Map<string, string>();
  const issued = new Map<string, number>();
  const accepted: AcceptedEmail[] = [];
  let sequence = 0;

  const token = async (request: IncomingMessage, response: ServerResponse) => {
    const body = new URLSearchParams(await readText(request));
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    const [clientId = "", secret = ""] = Buffer.from(basic, "base64").toString("utf8").split(":");
    if (body.get("grant_type") !== "client_credentials") {
      return sendJson(response, 400, { error: "unsupported_grant_type" });
    }
    if (!clientId.startsWith(FAKE_CHES_CLIENT_PREFIX) || secret !== fakeChesSecret(clientId)) {
      return sendJson(response, 401, { error: "invalid_client", error_description: "Invalid client credentials" });
    }
    sequence++;
    const value = `fake-token-${sequence}-${Math.random().toString(36).slice(2)}`;
    tokens.set(value, clientId);
    issued.set(clientId, (issued.get(clientId) ?? 0) + 1);
    sendJson(response, 200, { access_token: value, expires_in: 300, token_type: "Bearer", scope: "" });
  };

  const email = async (request: IncomingMessage, response: ServerResponse) => {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    const client = tokens.get(bearer);
    if (!client) return sendJson(response, 401, { type: "https://httpstatuses.com/401", title: "Unauthorized", status: 401 });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readText(request)) as Record<string, unknown>;
    } catch {
      return sendJson(response, 400, { title: "Bad Request", status: 400 });
    }
    const to = Array.isArray(body.to) ? body.to.filter((t): t is string => typeof t === "string") : [];
    const problems = [
      typeof body.from === "string" && body.from.includes("@") ? null : "from",
      to.length > 0 && to.length === (body.to as unknown[]).length ? null : "to",
      typeof body.subject === "string" && body.subject !== "" ? null : "subject",
      typeof body.body === "string" && body.body !== "" ? null : "body",
      body.bodyType === "html" || body.bodyType === "text" ? null : "bodyType",
    ].filter((p) => p !== null);
    if (problems.length > 0 || to.some((address) => address.startsWith("refuse"))) {
      return sendJson(response, 422, {
        type: "https://httpstatuses.com/422",
        title: "Unprocessable Entity",
        status: 422,
        errors: (problems.length > 0 ? problems : ["to"]).map((field) => ({
          value: field,
          message: `Invalid value \`${field}\`.`,
        })),
      });
    }
    if (to.some((address) => address.startsWith("busy"))) {
      return sendJson(response, 503, { title: "Service Unavailable", status: 503 });
    }
    accepted.push({
      from: body.from as string,
      to,
      subject: body.subject as string,
      bodyType: body.bodyType as string,
      body: body.body as string,
      tag: typeof body.tag === "string" ? body.tag : null,
      client,
    });
    sequence++;
    sendJson(response, 201, { messages: [{ msgId: `msg-${sequence}`, to }], txId: `tx-${sequence}` });
  };

  const { createServer } = await import("node:http");
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const route = `${request.method} ${url.pathname}`;
    const handle =
      route === "POST /token"
        ? token(request, response)
        : route === "POST /api/v1/email"
          ? email(request, response)
          : route === "GET /__messages"
            ? Promise.resolve(
                sendJson(
                  response,
                  200,
                  accepted.filter((m) => m.to.includes(url.searchParams.get("to") ?? "")),
                ),
              )
            : route === "GET /__tokens"
              ? Promise.resolve(sendJson(response, 200, { issued: issued.get(url.searchParams.get("client") ?? "") ?? 0 }))
              : route === "POST /__revoke"
                ? Promise.resolve(
                    (() => {
                      for (const [value, owner] of tokens) if (owner === url.searchParams.get("client")) tokens.delete(value);
                      sendJson(response, 200, { revoked: true });
                    })(),
                  )
                : Promise.resolve(sendJson(response, 404, { title: "Not Found", status: 404 }));
    handle.catch(() => {
      if (!response.headersSent) sendJson(response, 500, { title: "Internal Server Error", status: 500 });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
