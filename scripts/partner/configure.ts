import { configurePartner, showPartner } from "../../src/services/onboarding.ts";
import { str, UsageError } from "../lib/cli.ts";
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

export const configure: PartnerCommand = {
  summary: "change a partner's name, key style, GL posting or what follows a decline",
  usage:
    "configure --ref N [--name NAME] [--key-style lower|camel] [--gl-posting on|off] [--cash-account ACCOUNT|none] [--on-decline retry|return]",
  options: {
    ref: REF,
    name: { type: "string", value: "NAME", help: "the partner's name (1 to 100 characters)" },
    "key-style": KEY_STYLE,
    "gl-posting": GL_POSTING,
    "cash-account": { ...CASH_ACCOUNT, help: `${CASH_ACCOUNT.help} (none to clear it)` },
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
    onDecline(values);
    if (!["name", "key-style", "gl-posting", "cash-account", "on-decline"].some((name) => values[name] !== undefined)) {
      throw new UsageError("configure needs at least one of --name, --key-style, --gl-posting, --cash-account, --on-decline");
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
    const decline = onDecline(values);
    if (decline !== undefined) changes.onDecline = decline;
    await configurePartner(ctx.db, pbcRefNumber, changes, ctx.now);
    const partner = await showPartner(ctx.db, pbcRefNumber);
    return { json: { partner }, text: `Updated.\n${partnerText(partner)}` };
  },
};
