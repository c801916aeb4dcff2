/** What the loopback webhook receiver (webhookReceiver.ts, Node) is told and reports; shared with workerd tests. */

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiverUrl: string;
  }
}
