/**
 * `npm run partner -- <command> [options]`: partner onboarding. Works on the local D1 database
 * that `npm start` uses (migrated first when needed), another local state directory with
 * --persist-to, or the deployed database with --remote --env staging|production.
 * One module per command in scripts/partner/; arguments, help and errors come from scripts/lib/cli.ts.
 *
 * Exit codes: 0 done, 2 the request was refused (bad input, unknown partner...), 1 unexpected failure.
 * Secrets (API key, OAuth client secret) are printed once, by create and the rotate commands.
 */
import type { Db } from "../src/db/client.ts";
import { validApiKeys } from "../src/db/partnerApiKeys.ts";
import { encryptSecret } from "../src/lib/crypto.ts";
import { listPartners, OnboardingError } from "../src/services/onboarding.ts";
import { exit, runCli, UsageError } from "./lib/cli.ts";
import { DATABASE_OPTIONS, databaseTarget, ROOT, type Target, withDatabase } from "./lib/database.ts";
import { accounts } from "./partner/accounts.ts";
import { addRedirect } from "./partner/addRedirect.ts";
import { configure } from "./partner/configure.ts";
import { create } from "./partner/create.ts";
import { face } from "./partner/face.ts";
import { list } from "./partner/list.ts";
import { loadAccounts } from "./partner/loadAccounts.ts";
import { logo } from "./partner/logo.ts";
import { removeAccount } from "./partner/removeAccount.ts";
import { removeRedirect } from "./partner/removeRedirect.ts";
import { rotateApiKey } from "./partner/rotateApiKey.ts";
import { rotateOAuthSecret } from "./partner/rotateOAuthSecret.ts";
import { NPM_SCRIPT, type PartnerCommand, PROGRAM } from "./partner/shared.ts";
import { show } from "./partner/show.ts";
import { disable, enable } from "./partner/status.ts";
import { removeWebhook, rotateWebhookSecret, setWebhook, testWebhook, webhookDeliveries } from "./partner/webhooks.ts";

const COMMANDS: Record<string, PartnerCommand> = {
  create,
  list,
  show,
  "add-redirect": addRedirect,
  "remove-redirect": removeRedirect,
  "rotate-api-key": rotateApiKey,
  "rotate-oauth-secret": rotateOAuthSecret,
  disable,
  enable,
  configure,
  face,
  logo,
  accounts,
  "load-accounts": loadAccounts,
  "remove-account": removeAccount,
  "set-webhook": setWebhook,
  "rotate-webhook-secret": rotateWebhookSecret,
  "remove-webhook": removeWebhook,
  "test-webhook": testWebhook,
  "webhook-deliveries": webhookDeliveries,
};

async function encryptionKeyFor(where: Target): Promise<string> {
  if (where.remote) {
    const key = process.env.API_KEY_ENCRYPTION_KEY?.trim();
    if (!key) {
      throw new UsageError(
        "with --remote, export API_KEY_ENCRYPTION_KEY with the value set by `wrangler secret put API_KEY_ENCRYPTION_KEY`",
      );
    }
    return key;
  }
  const key = (await import("./lib/platform.ts")).readDevVars().API_KEY_ENCRYPTION_KEY;
  if (!key) throw new UsageError("API_KEY_ENCRYPTION_KEY is missing from .dev.vars (see .dev.vars.example)");
  return key;
}

/** Fails, before anything is written, when the key cannot decrypt the API keys already stored. */
async function checkEncryptionKey(db: Db, encryptionKey: string, now: Date): Promise<void> {
  try {
    await encryptSecret(encryptionKey, "probe", "probe");
  } catch (error) {
    throw new UsageError(`API_KEY_ENCRYPTION_KEY is not usable (base64 of exactly 32 bytes): ${(error as Error).message}`);
  }
  for (const partner of await listPartners(db)) {
    try {
      // One partner's keys decrypting is enough; partners without a valid key prove nothing.
      if ((await validApiKeys(db, encryptionKey, partner.pbcRefNumber, now)).length === 0) continue;
    } catch {
      throw new UsageError(
        `API_KEY_ENCRYPTION_KEY cannot decrypt the API keys already stored (partner ${partner.pbcRefNumber}): ` +
          "it must be the same value the Worker has (wrangler secret put API_KEY_ENCRYPTION_KEY)",
      );
    }
    return;
  }
}

const code = await runCli<PartnerCommand>(
  {
    program: PROGRAM,
    description: [
      "Partner onboarding for the PayBC portal. Works on the local database (the one npm start uses)",
      "unless --remote is given.",
    ],
    commands: COMMANDS,
    globalOptions: DATABASE_OPTIONS,
    notes: [
      "With --remote, API_KEY_ENCRYPTION_KEY (the value given to wrangler secret put) must be in the",
      "environment for create and rotate-api-key. Locally it comes from .dev.vars.",
      "Exit codes: 0 done, 2 refused (bad input, unknown partner), 1 unexpected failure.",
    ],
    userErrors: [OnboardingError],
    async execute(_name, command, values) {
      const where = databaseTarget(values, NPM_SCRIPT);
      // wrangler.toml, .dev.vars and migrations/ are the project's (user paths were resolved above).
      process.chdir(ROOT);
      const encryptionKey = command.needsKey ? await encryptionKeyFor(where) : "";
      // wrangler logs to stdout ("Using secrets defined in .dev.vars"): keep it to warnings (on stderr).
      if (values.json === true || !process.env.WRANGLER_LOG) process.env.WRANGLER_LOG = "warn";
      if (where.remote && values.json !== true) process.stderr.write(`Working on the deployed ${where.environment} database.\n`);
      return withDatabase(where, async (db) => {
        const now = new Date();
        if (command.needsKey) await checkEncryptionKey(db, encryptionKey, now);
        return command.run(
          { db, encryptionKey, now, environment: where.remote ? (where.environment as string) : "local" },
          values,
        );
      });
    },
  },
  process.argv.slice(2),
);
await exit(code);
