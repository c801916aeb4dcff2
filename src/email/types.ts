/** Sending email: one interface, a CHES sender for real mail and a capture sender for local development. */

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  language: "en" | "fr";
  /** A label the mail service keeps with the message (never personal data). */
  tag: string;
}

/** A failure worth retrying (network, 5xx, 429, expired token) or not (the address was refused). */
export class EmailSendError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = "EmailSendError";
    this.retryable = retryable;
  }
}

export interface EmailSender {
  readonly name: string;
  send(message: EmailMessage): Promise<void>;
}
