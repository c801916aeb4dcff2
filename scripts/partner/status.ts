/** enable and disable: one command each, the same shape. */
import { setPartnerStatus } from "../../src/services/onboarding.ts";
import { type PartnerCommand, REF, ref } from "./shared.ts";

function statusCommand(status: "ACTIVE" | "DISABLED", summary: string): PartnerCommand {
  const name = status === "ACTIVE" ? "enable" : "disable";
  return {
    summary,
    usage: `${name} --ref N`,
    options: { ref: REF },
    required: ["ref"],
    check: (values) => void ref(values),
    async run(ctx, values) {
      const pbcRefNumber = ref(values);
      await setPartnerStatus(ctx.db, pbcRefNumber, status, ctx.now);
      return { json: { pbcRefNumber, status }, text: `Partner ${pbcRefNumber} is now ${status}.` };
    },
  };
}

export const disable = statusCommand("DISABLED", "refuse the partner's direct sales (its data is kept)");
export const enable = statusCommand("ACTIVE", "accept the partner's direct sales again");
