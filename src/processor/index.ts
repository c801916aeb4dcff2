import type { AppConfig } from "../config.ts";
import { SandboxProcessor } from "./sandbox.ts";
import type { PaymentProcessor } from "./types.ts";

export function createProcessor(config: AppConfig, _env: Env): PaymentProcessor {
  switch (config.processor) {
    case "sandbox":
      return new SandboxProcessor();
    case "bambora":
      // configurationProblems() refuses to serve with PROCESSOR=bambora until the adapter lands (issue 5).
      throw new Error("The Bambora processor adapter is not part of this version");
  }
}
