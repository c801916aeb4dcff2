/** The email sender the settings name (config.ts refuses a capture sender outside local). */
import type { AppConfig } from "../config.ts";
import type { Db } from "../db/client.ts";
import { CaptureSender } from "./capture.ts";
import { ChesSender } from "./ches.ts";
import type { EmailSender } from "./types.ts";

export function createEmailSender(config: AppConfig, env: Env, db: Db): EmailSender {
  if (config.emailSender === "capture") return new CaptureSender(db);
  return new ChesSender({
    apiUrl: config.ches.apiUrl,
    tokenUrl: config.ches.tokenUrl,
    from: config.ches.from,
    clientId: (env as { CHES_CLIENT_ID?: string }).CHES_CLIENT_ID ?? "",
    clientSecret: (env as { CHES_CLIENT_SECRET?: string }).CHES_CLIENT_SECRET ?? "",
  });
}
