import { ROTATION_GRACE_HOURS, rotateOAuthSecret as rotate } from "../../src/services/onboarding.ts";
import { GRACE, graceHours, type PartnerCommand, REF, ref, SECRETS_NOTE, STORE_NOW } from "./shared.ts";

export const rotateOAuthSecret: PartnerCommand = {
  summary: "issue a new OAuth client secret; the previous one stays valid for the grace period",
  usage: `rotate-oauth-secret --ref N [--grace-hours ${ROTATION_GRACE_HOURS}]`,
  options: { ref: REF, "grace-hours": GRACE },
  required: ["ref"],
  notes: SECRETS_NOTE,
  check: (values) => {
    ref(values);
    graceHours(values);
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const result = await rotate(ctx.db, pbcRefNumber, ctx.now, graceHours(values));
    const text = [
      `New OAuth client secret for partner ${pbcRefNumber}. ${STORE_NOW}`,
      `  OAuth client id:     ${result.clientId}`,
      `  OAuth client secret: ${result.clientSecret}`,
      `The previous secret stays valid until ${result.previousValidUntil}.`,
    ].join("\n");
    return { json: { pbcRefNumber, ...result, notice: STORE_NOW }, text };
  },
};
