import { configurePartner, showPartner } from "../../src/services/onboarding.ts";
import { str, UsageError, type Values } from "../lib/cli.ts";
import { CASH_ACCOUNT, GL_POSTING, KEY_STYLE, keyStyle, onOff, type PartnerCommand, partnerText, REF, ref } from "./shared.ts";

function signing(values: Values): "MD5" | "HMAC-SHA256" | undefined {
  const value = str(values, "signing");
  if (value === undefined) return undefined;
  const upper = value.trim().toUpperCase();
  if (upper !== "MD5" && upper !== "HMAC-SHA256") throw new UsageError(`--signing must be md5 or hmac-sha256, not "${value}"`);
  return upper;
}

export const configure: PartnerCommand = {
  summary: "change a partner's name, key style, GL posting or signing algorithm",
  usage:
    "configure --ref N [--name NAME] [--key-style lower|camel] [--gl-posting on|off] [--cash-account ACCOUNT|none] [--signing md5|hmac-sha256]",
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
  },
  required: ["ref"],
  check: (values) => {
    ref(values);
    keyStyle(values);
    onOff(values, "gl-posting");
    signing(values);
    if (!["name", "key-style", "gl-posting", "cash-account", "signing"].some((name) => values[name] !== undefined)) {
      throw new UsageError("configure needs at least one of --name, --key-style, --gl-posting, --cash-account, --signing");
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
    await configurePartner(ctx.db, pbcRefNumber, changes, ctx.now);
    const partner = await showPartner(ctx.db, pbcRefNumber);
    return { json: { partner }, text: `Updated.\n${partnerText(partner)}` };
  },
};
