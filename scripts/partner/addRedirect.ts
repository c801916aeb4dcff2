import { addTarget } from "../../src/services/onboarding.ts";
import { str } from "../lib/cli.ts";
import { type PartnerCommand, REF, ref } from "./shared.ts";

export const addRedirect: PartnerCommand = {
  summary: "allow another return address prefix",
  usage: "add-redirect --ref N --redirect URL",
  options: {
    ref: REF,
    redirect: { type: "string", value: "URL", help: "https://host[:port]/path (port may be *)" },
    target: { type: "string", aliasOf: "redirect", help: "" },
  },
  required: ["ref", "redirect"],
  notes: ["--target URL, the older name of --redirect, is still accepted."],
  check: (values) => void ref(values),
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const target = (str(values, "redirect") as string).trim();
    const added = await addTarget(ctx.db, pbcRefNumber, target, ctx.now);
    return {
      json: { pbcRefNumber, target, added },
      text: added ? `Partner ${pbcRefNumber} may now redirect to ${target}` : `Partner ${pbcRefNumber} already had ${target}`,
    };
  },
};
