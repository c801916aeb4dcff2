import { configurePartner, showPartner } from "../../src/services/onboarding.ts";
import { str, UsageError, type Values } from "../lib/cli.ts";
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
} from "./shared.ts";

function signing(values: Values): "MD5" | "HMAC-SHA256" | undefined {
  const value = str(values, "signing");
  if (value === undefined) return undefined;
  const upper = value.trim().toUpperCase();
  if (upper !== "MD5" && upper !== "HMAC-SHA256") throw new UsageError(`--signing must be md5 or hmac-sha256, not "${value}"`);
  return upper;
}

export const configure: PartnerCommand = {
  summary: "change a partner's name, key style, GL posting, signing algorithm or what follows a decline",
  usage:
    "configure --ref N [--name NAME] [--key-style lower|camel] [--gl-posting on|off] [--cash-account ACCOUNT|none] [--signing md5|hmac-sha256] [--on-decline retry|return]",
  options: {
    ref: REF,
    name: { type: "string", value: "NAME", help: "the partner's name (1 to 100 characters)" },
    "key-style": KEY_STYLE,
    "gl-posting": GL_POSTING,
    "cash-account": { ...CASH_ACCOUNT, help: `${CASH_ACCOUNT.help} (none to clear it)` },
    signing: {
      type: "string",
      value: "md5|hmac-sha256",
      help: "direct sale request and response signing: md5 (the contract's) or hmac-sha256 (its successor); the partner switches at the same moment",
    },
    "on-decline": ON_DECLINE,
  },
  required: ["ref"],
  notes: [
    '--on-decline retry: after a decline the person sees "Try another card" and "Return to <partner>" (declines still',
    "count toward the lock); return: the signed Declined response is sent at once (partners created before this setting).",
  ],
  check: (values) => {
    ref(values);
    keyStyle(values);
    onOff(values, "gl-posting");
    signing(values);
    onDecline(values);
    const settings = ["name", "key-style", "gl-posting", "cash-account", "signing", "on-decline"];
    if (!settings.some((name) => values[name] !== undefined)) {
      throw new UsageError(
        "configure needs at least one of --name, --key-style, --gl-posting, --cash-account, --signing, --on-decline",
      );
    }
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const changes: Parameters<typeof configurePartner>[2] = {};
    const name = str(values, "name");
    if (name !== undefined) changes.name = name.trim();
    const style = keyStyle(values);
    if (style !== undefined) changes.keyStyle = style;
    const gl = onOff(values, "gl-posting");
    if (gl !== undefined) changes.glPosting = gl;
    const cash = str(values, "cash-account")?.trim();
    if (cash !== undefined) changes.cashAccount = cash === "" || cash.toLowerCase() === "none" ? null : cash;
    const algorithm = signing(values);
    if (algorithm !== undefined) changes.signingAlgorithm = algorithm;
    const decline = onDecline(values);
    if (decline !== undefined) changes.onDecline = decline;
    await configurePartner(ctx.db, pbcRefNumber, changes, ctx.now);
    const partner = await showPartner(ctx.db, pbcRefNumber);
    return { json: { partner }, text: `Updated.\n${partnerText(partner)}` };
  },
};
