import type { AppConfig } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Language } from "../i18n/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { PaymentProcessor } from "../processor/types.ts";
import type { Notifier } from "../services/notifications.ts";

export interface AppVariables {
  requestId: string;
  config: AppConfig;
  db: Db;
  processor: PaymentProcessor;
  log: Logger;
  /** Partner events written by this request's batches; flushed to the queue after the response. */
  notify: Notifier;
  /** Facts a handler adds to the request's one log line. */
  logFields: Record<string, unknown>;
  /** Per-response CSP nonce for the page's own scripts. */
  nonce: string;
  /** Extra origins a form on this page may post to or be redirected to (partner redirect targets). */
  formActionOrigins: string[];
  /** The language of public pages: the switch (query or cookie), else Accept-Language; card pages refine it. */
  lang: Language;
  /** The person chose it with the switch: it wins over the partner's signed `language`. */
  langChosen: boolean;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
