import { chartOfAccounts, loadChartOfAccounts } from "../../src/services/onboarding.ts";
import { str } from "../lib/cli.ts";
import { accountStatus, type PartnerCommand, REF, readAccounts, ref } from "./shared.ts";

export const loadAccounts: PartnerCommand = {
  summary: "add accounts to a partner's chart, or set their status (one account a line)",
  usage: "load-accounts --ref N --file accounts.txt [--status OPEN|CLOSED]",
  options: {
    ref: REF,
    file: { type: "string", value: "FILE", help: "one account a line; # comments and blank lines are ignored" },
    status: { type: "string", value: "OPEN|CLOSED", help: "status to give the listed accounts (default OPEN)" },
  },
  required: ["ref", "file"],
  check: (values) => {
    ref(values);
    accountStatus(values);
    readAccounts(str(values, "file") as string);
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const status = accountStatus(values);
    const listed = readAccounts(str(values, "file") as string);
    const loaded = await loadChartOfAccounts(ctx.db, pbcRefNumber, listed, status);
    const total = (await chartOfAccounts(ctx.db, pbcRefNumber)).length;
    return {
      json: { pbcRefNumber, status, loaded, accounts: listed, total },
      text: `Loaded ${loaded} account(s) as ${status} for partner ${pbcRefNumber}; its chart has ${total} account(s).`,
    };
  },
};
