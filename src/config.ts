/** Typed settings read from the Worker environment (wrangler.toml vars and secrets). */

export interface AppConfig {
  environment: string;
  demo: boolean;
  processor: "sandbox" | "bambora";
  paymentExpiryMinutes: number;
  maxDeclinesPerPayment: number;
  apiBasePath: string;
  /** The PayBC refund service's base path (REFUND_BASE_PATH). */
  refundBasePath: string;
  apiHostname: string;
  portalHostname: string;
  benchMode: boolean;
}

function positiveNumber(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function positiveInt(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function basePathOf(value: string | undefined, fallback: string): string {
  const path = (value || fallback).replace(/\/+$/, "");
  return path.startsWith("/") ? path : `/${path}`;
}

export function readConfig(env: Env): AppConfig {
  const basePath = (env.API_BASE_PATH || "/ords/cas").replace(/\/+$/, "");
  return {
    environment: env.ENVIRONMENT || "local",
    demo: env.DEMO === "true",
    processor: env.PROCESSOR === "bambora" ? "bambora" : "sandbox",
    // Fractions allowed (end-to-end tests use a few seconds).
    paymentExpiryMinutes: positiveNumber(env.PAYMENT_EXPIRY_MINUTES, 30),
    maxDeclinesPerPayment: positiveInt(env.MAX_DECLINES_PER_PAYMENT, 3),
    apiBasePath: basePath.startsWith("/") ? basePath : `/${basePath}`,
    refundBasePath: basePathOf(env.REFUND_BASE_PATH, "/paybc-service"),
    apiHostname: env.API_HOSTNAME ?? "",
    portalHostname: env.PORTAL_HOSTNAME ?? "",
    benchMode: (env as { BENCH?: string }).BENCH === "true",
  };
}

/**
 * Configuration problems that must stop the Worker from serving: a half-configured payment
 * portal is worse than one that is visibly down.
 */
export function configurationProblems(env: Env): string[] {
  const problems: string[] = [];
  const required = ["API_KEY_ENCRYPTION_KEY", "TOKEN_SIGNING_KEY", "FINANCE_TOKEN"] as const;
  for (const name of required) {
    if (!env[name] || String(env[name]).trim() === "") problems.push(`Secret ${name} is not set`);
  }
  if (env.API_KEY_ENCRYPTION_KEY) {
    try {
      const raw = atob(env.API_KEY_ENCRYPTION_KEY.trim().replaceAll("-", "+").replaceAll("_", "/"));
      if (raw.length !== 32) problems.push("Secret API_KEY_ENCRYPTION_KEY must be base64 of 32 bytes");
    } catch {
      problems.push("Secret API_KEY_ENCRYPTION_KEY must be base64 of 32 bytes");
    }
  }
  if (env.TOKEN_SIGNING_KEY && env.TOKEN_SIGNING_KEY.length < 32) {
    problems.push("Secret TOKEN_SIGNING_KEY must be at least 32 characters");
  }
  if (env.PROCESSOR === "bambora") {
    if (!env.BAMBORA_MERCHANT_ID) problems.push("Secret BAMBORA_MERCHANT_ID is not set (PROCESSOR=bambora)");
    if (!env.BAMBORA_API_PASSCODE) problems.push("Secret BAMBORA_API_PASSCODE is not set (PROCESSOR=bambora)");
  } else if (env.PROCESSOR !== "sandbox") {
    problems.push(`PROCESSOR must be sandbox or bambora, not "${env.PROCESSOR}"`);
  }
  if (env.ENVIRONMENT === "production") {
    if (env.PROCESSOR === "sandbox") problems.push("The sandbox processor is not allowed in production");
    if (env.DEMO === "true") problems.push("DEMO must be off in production");
  }
  return problems;
}
