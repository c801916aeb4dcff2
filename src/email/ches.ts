/**
 * BC's Common Hosted Email Service (bcgov/common-hosted-email-service): an OAuth2 client-credentials
 * token from the realm's token endpoint, then POST {api}/api/v1/email. The token is kept per isolate
 * until shortly before it expires; a 401 drops it so the next try fetches a new one.
 */
import { type EmailMessage, EmailSendError, type EmailSender } from "./types.ts";

export interface ChesSettings {
  apiUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  from: string;
  fetch?: typeof fetch;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}
const tokens = new Map<string, CachedToken>();

const TIMEOUT_MS = 10_000;

export class ChesSender implements EmailSender {
  readonly name = "ches";
  readonly #settings: ChesSettings;
  readonly #fetch: typeof fetch;

  constructor(settings: ChesSettings) {
    this.#settings = settings;
    // Called unbound: workerd's fetch refuses to run with `this` set to another object ("Illegal invocation").
    this.#fetch = settings.fetch ?? ((input, init) => fetch(input, init));
  }

  async #token(now: number): Promise<string> {
    const key = `${this.#settings.tokenUrl} ${this.#settings.clientId}`;
    const cached = tokens.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    let response: Response;
    try {
      response = await this.#fetch(this.#settings.tokenUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Basic ${btoa(`${this.#settings.clientId}:${this.#settings.clientSecret}`)}`,
        },
        body: "grant_type=client_credentials",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new EmailSendError(`CHES token request failed: ${(error as Error).name}`, true);
    }
    if (!response.ok) {
      // A refused client is a configuration fault: retried, and visible in the logs each time.
      throw new EmailSendError(`CHES token endpoint answered ${response.status}`, true);
    }
    const body = (await response.json().catch(() => null)) as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof body?.access_token !== "string" || body.access_token === "") {
      throw new EmailSendError("CHES token endpoint gave no access_token", true);
    }
    const lifetime = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 300;
    // Renewed a minute early so a token never expires between this check and CHES reading it.
    tokens.set(key, { value: body.access_token, expiresAt: now + Math.max(0, lifetime - 60) * 1000 });
    return body.access_token;
  }

  async send(message: EmailMessage): Promise<void> {
    const token = await this.#token(Date.now());
    let response: Response;
    try {
      response = await this.#fetch(`${this.#settings.apiUrl.replace(/\/+$/, "")}/api/v1/email`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          from: this.#settings.from,
          to: [message.to],
          subject: message.subject,
          bodyType: "html",
          body: message.html,
          encoding: "utf-8",
          priority: "normal",
          tag: message.tag,
          delayTS: 0,
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new EmailSendError(`CHES email request failed: ${(error as Error).name}`, true);
    }
    if (response.status === 201 || response.status === 200) return;
    if (response.status === 401) tokens.clear();
    // 422: CHES refused the message itself (e.g. the address); trying again cannot help.
    const retryable = response.status !== 400 && response.status !== 422;
    throw new EmailSendError(`CHES answered ${response.status}`, retryable);
  }
}
