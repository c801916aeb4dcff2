import { showPartner } from "../../src/services/onboarding.ts";
import { type PartnerCommand, partnerText, REF, ref } from "./shared.ts";

export const show: PartnerCommand = {
  summary: "show a partner, its redirect targets and OAuth clients (never secrets)",
  usage: "show --ref N",
  options: { ref: REF },
  required: ["ref"],
  check: (values) => void ref(values),
  async run(ctx, values) {
    const partner = await showPartner(ctx.db, ref(values));
    return { json: { partner }, text: partnerText(partner) };
  },
};
