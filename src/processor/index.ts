import type { AppConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { BamboraProcessor } from "./bambora.ts";
import { SandboxProcessor } from "./sandbox.ts";
import type { PaymentProcessor, RefundProcessor } from "./types.ts";

export function createProcessor(config: AppConfig, env: Env): PaymentProcessor & RefundProcessor {
  switch (config.processor) {
    case "sandbox":
      return new SandboxProcessor({ db: database(env.DB) });
    case "bambora":
      // configurationProblems() refuses to serve without the merchant id and both passcodes.
      return new BamboraProcessor({
        merchantId: env.BAMBORA_MERCHANT_ID ?? "",
        apiPasscode: env.BAMBORA_API_PASSCODE ?? "",
        reportPasscode: env.BAMBORA_REPORT_PASSCODE ?? "",
        baseUrl: env.BAMBORA_API_URL,
        timeoutMs: config.bamboraTimeoutMs,
      });
  }
}
