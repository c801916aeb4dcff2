import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { setPartnerLogoFile, showPartner } from "../../src/services/onboarding.ts";
import { str, UsageError, userPath } from "../lib/cli.ts";
import { NPM_SCRIPT, type PartnerCommand, partnerText, REF, ref } from "./shared.ts";

const TYPES: Record<string, "image/png" | "image/svg+xml"> = { ".png": "image/png", ".svg": "image/svg+xml" };

export const logo: PartnerCommand = {
  summary: "set or remove the partner's logo on the card page and receipt",
  usage: "logo --ref N (--file FILE.png|FILE.svg | --remove)",
  options: {
    ref: REF,
    file: { type: "string", value: "FILE", help: "a PNG or SVG file of at most 32 KB" },
    remove: { type: "boolean", help: "remove the logo (the page shows the name only)" },
  },
  required: ["ref"],
  notes: [
    "The logo is served from the portal's own origin with a sandboxing policy; an SVG with scripts, event",
    'handlers or external references is refused. The page gives it the text alternative "<name> logo".',
  ],
  check: (values) => {
    ref(values);
    const file = str(values, "file");
    if ((file === undefined) === (values.remove !== true)) throw new UsageError("logo needs either --file FILE or --remove");
    if (file !== undefined && !TYPES[extname(file).toLowerCase()]) {
      throw new UsageError(`--file must be a .png or .svg file, not "${file}"`);
    }
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const file = str(values, "file");
    if (file === undefined) {
      await setPartnerLogoFile(ctx.db, pbcRefNumber, null, ctx.now);
    } else {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(userPath(NPM_SCRIPT, file)));
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      const contentType = TYPES[extname(file).toLowerCase()] as "image/png" | "image/svg+xml";
      await setPartnerLogoFile(ctx.db, pbcRefNumber, { bytes, contentType }, ctx.now);
    }
    const partner = await showPartner(ctx.db, pbcRefNumber);
    return { json: { partner }, text: `${file === undefined ? "Logo removed" : "Logo set"}.\n${partnerText(partner)}` };
  },
};
