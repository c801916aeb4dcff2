import { readFileSync } from "node:fs";
import { type PartnerFaceChanges, setPartnerFace, showPartner } from "../../src/services/onboarding.ts";
import { str, UsageError, userPath, type Values } from "../lib/cli.ts";
import { NPM_SCRIPT, type PartnerCommand, partnerText, REF, ref } from "./shared.ts";

/** --option VALUE: the value; "none" (or "default" for a notice) clears it; absent leaves it. */
function field(values: Values, name: string, clearWord: string): string | null | undefined {
  const value = str(values, name);
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" || trimmed.toLowerCase() === clearWord ? null : trimmed;
}

/** A notice from a UTF-8 text file (what the ministry's privacy office approved), or "default". */
function notice(values: Values, name: string): string | null | undefined {
  const file = str(values, name);
  if (file === undefined) return undefined;
  if (file.trim().toLowerCase() === "default") return null;
  try {
    return readFileSync(userPath(NPM_SCRIPT, file), "utf8").trim();
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

const FIELDS = ["name-fr", "contact-email", "contact-phone", "contact-url", "privacy-notice-en", "privacy-notice-fr"];

export const face: PartnerCommand = {
  summary: "set what the person paying sees: French name, contact details, privacy notice",
  usage:
    "face --ref N [--name-fr NAME|none] [--contact-email EMAIL|none] [--contact-phone PHONE|none] [--contact-url URL|none] [--privacy-notice-en FILE|default] [--privacy-notice-fr FILE|default]",
  options: {
    ref: REF,
    "name-fr": { type: "string", value: "NAME", help: "the partner's name in French (none: the name is shown)" },
    "contact-email": { type: "string", value: "EMAIL", help: "contact email on the card page and receipt (none to clear)" },
    "contact-phone": { type: "string", value: "PHONE", help: "contact telephone, e.g. 1-800-663-7867 (none to clear)" },
    "contact-url": { type: "string", value: "URL", help: "contact web page, https only (none to clear)" },
    "privacy-notice-en": {
      type: "string",
      value: "FILE",
      help: "text file with the English collection notice: purpose, authority, contact (default: the portal's wording)",
    },
    "privacy-notice-fr": { type: "string", value: "FILE", help: "the same in French (default: the portal's wording)" },
  },
  required: ["ref"],
  notes: [
    "Shown on the card page, the outcome pages and the receipt. A notice is 40 to 2000 characters of plain text.",
    "Without a notice the portal's default wording names the partner and FOIPPA section 26(c).",
  ],
  check: (values) => {
    ref(values);
    if (!FIELDS.some((name) => values[name] !== undefined)) {
      throw new UsageError(`face needs at least one of ${FIELDS.map((name) => `--${name}`).join(", ")}`);
    }
  },
  async run(ctx, values) {
    const pbcRefNumber = ref(values);
    const changes: PartnerFaceChanges = {};
    const set = <K extends keyof PartnerFaceChanges>(key: K, value: string | null | undefined) => {
      if (value !== undefined) changes[key] = value;
    };
    set("nameFr", field(values, "name-fr", "none"));
    set("contactEmail", field(values, "contact-email", "none"));
    set("contactPhone", field(values, "contact-phone", "none"));
    set("contactUrl", field(values, "contact-url", "none"));
    set("privacyNoticeEn", notice(values, "privacy-notice-en"));
    set("privacyNoticeFr", notice(values, "privacy-notice-fr"));
    await setPartnerFace(ctx.db, pbcRefNumber, changes, ctx.now);
    const partner = await showPartner(ctx.db, pbcRefNumber);
    return { json: { partner }, text: `Updated.\n${partnerText(partner)}` };
  },
};
