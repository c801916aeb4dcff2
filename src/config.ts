/** Typed settings read from the Worker environment (wrangler.toml vars and secrets). */

export interface AppConfig {
  environment: string;
  demo: boolean;
  processor: "sandbox" | "bambora";
  paymentExpiryMinutes: number;
  maxDeclinesPerPayment: number;
  apiBasePath: string;
  apiHostname: string;
  portalHostname: string;
  benchMode: boolean;
  /** Receipt emails: "ches" (BC's Common Hosted Email Service) or "capture" (local only, /demo/outbox). */
  emailSender: "ches" | "capture";
  ches: { apiUrl: string; tokenUrl: string; from: string };
}

function positiveNumber(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function positiveInt(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : fallback;
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
    apiHostname: env.API_HOSTNAME ?? "",
    portalHostname: env.PORTAL_HOSTNAME ?? "",
    benchMode: (env as { BENCH?: string }).BENCH === "true",
    emailSender: env.EMAIL_SENDER === "capture" ? "capture" : "ches",
    ches: { apiUrl: env.CHES_API_URL ?? "", tokenUrl: env.CHES_TOKEN_URL ?? "", from: env.RECEIPT_FROM ?? "" },
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
  if (env.EMAIL_SENDER === "capture") {
    // Captured messages hold real addresses in a table anyone with /demo could read.
    if (env.ENVIRONMENT !== "local") problems.push("EMAIL_SENDER=capture is for local development only");
  } else if (env.EMAIL_SENDER === "ches") {
    const secrets = env as { CHES_CLIENT_ID?: string; CHES_CLIENT_SECRET?: string };
    if (!secrets.CHES_CLIENT_ID) problems.push("Secret CHES_CLIENT_ID is not set (EMAIL_SENDER=ches)");
    if (!secrets.CHES_CLIENT_SECRET) problems.push("Secret CHES_CLIENT_SECRET is not set (EMAIL_SENDER=ches)");
    for (const name of ["CHES_API_URL", "CHES_TOKEN_URL"] as const) {
      const value = env[name] ?? "";
      if (!/^https:\/\/[^\s/]+/.test(value) && !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(value)) {
        problems.push(`${name} must be an https URL (EMAIL_SENDER=ches)`);
      }
    }
    if (!/^[^\s@<>]+@[^\s@<>]+\.[A-Za-z]{2,}$/.test(env.RECEIPT_FROM ?? "")) {
      problems.push("RECEIPT_FROM must be the address receipts are sent from (EMAIL_SENDER=ches)");
    }
  } else {
    problems.push(`EMAIL_SENDER must be ches or capture, not "${env.EMAIL_SENDER}"`);
  }
  if (env.ENVIRONMENT === "production") {
    if (env.PROCESSOR === "sandbox") problems.push("The sandbox processor is not allowed in production");
    if (env.DEMO === "true") problems.push("DEMO must be off in production");
  }
  return problems;
}
