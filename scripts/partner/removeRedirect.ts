import { removeTarget, showPartner } from "../../src/services/onboarding.ts";
import { str, UsageError } from "../lib/cli.ts";
import { type PartnerCommand, REF, ref } from "./shared.ts";

export const removeRedirect: PartnerCommand = {
  summary: "stop allowing a return address prefix",
  usage: "remove-redirect --ref N --redirect URL",
  options: {
    ref: REF,
    redirect: { type: "string", value: "URL", help: "the target exactly as listed by show" },
    target: { type: "string", aliasOf: "redirect", help: "" },
  },
  required: ["ref", "redirect"],
  notes: ["--target URL, the older name of --redirect, is still accepted."],
  check: (values) => void ref(values),
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const target = (str(values, "redirect") as string).trim();
    if (!(await removeTarget(ctx.db, pbcRefNumber, target))) {
      throw new UsageError(`partner ${pbcRefNumber} has no redirect target ${target} (see show --ref ${pbcRefNumber})`);
    }
    const left = (await showPartner(ctx.db, pbcRefNumber)).redirectTargets;
    const warning = left.length === 0 ? "\nWarning: no redirect targets left, so its direct sales are refused." : "";
    return {
      json: { pbcRefNumber, target, removed: true, redirectTargets: left },
      text: `Removed ${target} from partner ${pbcRefNumber}.${warning}`,
    };
  },
};
