import { hasApiKey } from "../../src/db/partnerApiKeys.ts";
import { createPartner, listPartners, showPartner } from "../../src/services/onboarding.ts";
import { str, table, UsageError } from "../lib/cli.ts";
import {
  CASH_ACCOUNT,
  GL_POSTING,
  KEY_STYLE,
  keyStyle,
  ON_DECLINE,
  onDecline,
  onOff,
  type PartnerCommand,
  partnerText,
  REF,
  ref,
  SECRETS_NOTE,
  STORE_NOW,
} from "./shared.ts";

export const create: PartnerCommand = {
  summary: "create a partner; prints its new API key and OAuth client credentials once",
  usage:
    "create --ref N --name NAME --redirect URL [--redirect URL...] [--key-style lower|camel] [--gl-posting on|off] [--cash-account ACCOUNT] [--on-decline retry|return]",
  options: {
    ref: REF,
    name: { type: "string", value: "NAME", help: "the partner's name (1 to 100 characters)" },
    redirect: {
      type: "string",
      multiple: true,
      value: "URL",
      help: "allowed return address prefix, https://host[:port]/path (port may be *); repeatable",
    },
    "key-style": KEY_STYLE,
    "gl-posting": GL_POSTING,
    "cash-account": CASH_ACCOUNT,
    "on-decline": ON_DECLINE,
  },
  required: ["ref", "name", "redirect"],
  needsKey: true,
  notes: SECRETS_NOTE,
  check: (values) => {
    ref(values);
    keyStyle(values);
    onOff(values, "gl-posting");
    onDecline(values);
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const exists = (await listPartners(ctx.db)).some((p) => p.pbcRefNumber === pbcRefNumber);
    if (exists) {
      const partner = await showPartner(ctx.db, pbcRefNumber);
      // A create interrupted half-way is completed by running it again; a complete partner is refused.
      if ((await hasApiKey(ctx.db, pbcRefNumber)) && partner.oauthClients.length > 0) {
        throw new UsageError(
          `partner ${pbcRefNumber} already exists (${partner.name}); use configure, add-redirect, rotate-api-key or rotate-oauth-secret to change it`,
        );
      }
    }
    const { created, credentials } = await createPartner(
      ctx.db,
      ctx.encryptionKey,
      {
        pbcRefNumber,
        name: str(values, "name") as string,
        redirectTargets: (values.redirect as string[]).map((t) => t.trim()),
        keyStyle: keyStyle(values) ?? "lower",
        glPosting: onOff(values, "gl-posting") ?? false,
        cashAccount: str(values, "cash-account")?.trim() || null,
        onDecline: onDecline(values) ?? "retry",
      },
      ctx.now,
    );
    const partner = await showPartner(ctx.db, pbcRefNumber);
    const issued: Array<[string, string | null]> = [
      ["API key (MD5 signing key)", credentials.apiKey],
      ["OAuth client id", credentials.clientId],
      ["OAuth client secret", credentials.clientSecret],
    ];
    const text = [
      created
        ? `Created partner ${pbcRefNumber} (${partner.name}).`
        : `Completed partner ${pbcRefNumber}: issued what it was missing.`,
      "",
      STORE_NOW,
      table(issued.filter(([, v]) => v !== null).map(([k, v]) => [`  ${k}:`, v as string])),
      "",
      partnerText(partner),
    ].join("\n");
    return { json: { created, credentials, notice: STORE_NOW, partner }, text };
  },
};
