/** Local development: keeps messages in D1 for /demo/outbox instead of sending them anywhere. */
import type { Db } from "../db/client.ts";
import { insertOutboxMessage } from "../db/emailOutbox.ts";
import type { EmailMessage, EmailSender } from "./types.ts";

export class CaptureSender implements EmailSender {
  readonly name = "capture";
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }
  async send(message: EmailMessage): Promise<void> {
    await insertOutboxMessage(
      this.#db,
      {
        toAddress: message.to,
        subject: message.subject,
        textBody: message.text,
        htmlBody: message.html,
        language: message.language,
      },
      new Date(),
    );
  }
}
