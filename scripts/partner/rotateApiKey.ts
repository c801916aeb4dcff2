import { ROTATION_GRACE_HOURS, rotateApiKey as rotate } from "../../src/services/onboarding.ts";
import { GRACE, graceHours, type PartnerCommand, REF, ref, SECRETS_NOTE, STORE_NOW } from "./shared.ts";

export const rotateApiKey: PartnerCommand = {
  summary: "issue a new MD5 API key; the previous one stays valid for the grace period",
  usage: `rotate-api-key --ref N [--grace-hours ${ROTATION_GRACE_HOURS}]`,
  options: { ref: REF, "grace-hours": GRACE },
  required: ["ref"],
  needsKey: true,
  notes: SECRETS_NOTE,
  check: (values) => {
    ref(values);
    graceHours(values);
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const hours = graceHours(values);
    const { apiKey, previousValidUntil } = await rotate(ctx.db, ctx.encryptionKey, pbcRefNumber, ctx.now, hours);
    const text = [
      `New API key for partner ${pbcRefNumber}. ${STORE_NOW}`,
      `  API key (MD5 signing key): ${apiKey}`,
      `The previous key stays valid until ${previousValidUntil}.`,
    ].join("\n");
    return { json: { pbcRefNumber, apiKey, previousValidUntil, notice: STORE_NOW }, text };
  },
};
