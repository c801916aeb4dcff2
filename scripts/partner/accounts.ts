import { chartOfAccounts } from "../../src/services/onboarding.ts";
import { table } from "../lib/cli.ts";
import { type PartnerCommand, REF, ref } from "./shared.ts";

export const accounts: PartnerCommand = {
  summary: "list a partner's chart of accounts",
  usage: "accounts --ref N",
  options: { ref: REF },
  required: ["ref"],
  check: (values) => void ref(values),
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const accounts = (await chartOfAccounts(ctx.db, pbcRefNumber)).map((a) => ({ account: a.account, status: a.status }));
    const text = accounts.length
      ? table([["ACCOUNT", "STATUS"], ...accounts.map((a) => [a.account, a.status])])
      : `Partner ${pbcRefNumber} has no chart of accounts: every well-formed revenue account is accepted.`;
    return { json: { pbcRefNumber, accounts }, text };
  },
};
