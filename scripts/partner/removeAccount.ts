import { removeChartAccount } from "../../src/services/onboarding.ts";
import { str, UsageError } from "../lib/cli.ts";
import { type PartnerCommand, REF, ref } from "./shared.ts";

export const removeAccount: PartnerCommand = {
  summary: "remove an account from a partner's chart",
  usage: "remove-account --ref N --account ACCOUNT",
  options: { ref: REF, account: { type: "string", value: "ACCOUNT", help: "the account exactly as listed by accounts" } },
  required: ["ref", "account"],
  check: (values) => void ref(values),
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const account = (str(values, "account") as string).trim();
    if (!(await removeChartAccount(ctx.db, pbcRefNumber, account))) {
      throw new UsageError(`partner ${pbcRefNumber} has no account ${account} in its chart`);
    }
    return { json: { pbcRefNumber, account, removed: true }, text: `Removed ${account} from partner ${pbcRefNumber}'s chart.` };
  },
};
