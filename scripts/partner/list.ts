import { listPartners } from "../../src/services/onboarding.ts";
import { table } from "../lib/cli.ts";
import type { PartnerCommand } from "./shared.ts";

export const list: PartnerCommand = {
  summary: "list the partners",
  usage: "list",
  options: {},
  required: [],
  async run(ctx) {
    const partners = await listPartners(ctx.db);
    const text = partners.length
      ? table([
          ["REF", "STATUS", "KEYS", "GL", "NAME"],
          ...partners.map((p) => [p.pbcRefNumber, p.status, p.keyStyle, p.glPosting ? "on" : "off", p.name]),
        ])
      : "No partners yet: npm run partner -- create --help";
    return { json: { partners }, text };
  },
};
