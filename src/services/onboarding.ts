/** Partner onboarding, shared by the command-line tool and local seeding. */
import { recordAudit } from "../db/auditLog.ts";
import { listAccounts, removeAccount, setAccounts } from "../db/chartOfAccounts.ts";
import type { Db } from "../db/client.ts";
import { insertClient, listClients, rotateClientSecret } from "../db/oauthClients.ts";
import { hasApiKey, setApiKey } from "../db/partnerApiKeys.ts";
import { setPartnerLogo } from "../db/partnerLogos.ts";
import { findPartner, insertPartner, listPartners, updatePartner } from "../db/partners.ts";
import { addRedirectTarget, listRedirectTargets, removeRedirectTarget } from "../db/redirectTargets.ts";
import { parseReceiptEmail } from "../domain/email.ts";
import { isPbcRefNumber } from "../domain/partnerNumber.ts";
import { parseRedirectTarget } from "../domain/redirectTargets.ts";
import { isValidRevenueAccount } from "../domain/revenue.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";

export class OnboardingError extends Error {}

/** Who runs partner operations (the CLI passes the operator's name): every change is audited. */
export interface Operator {
  actor: string;
}
const SYSTEM: Operator = { actor: "operator" };

async function audit(db: Db, operator: Operator, action: string, target: string, detail?: Record<string, unknown>) {
  await recordAudit(db, { actor: operator.actor, action, target, outcome: "success", detail: detail ?? null }, new Date());
}

export const ROTATION_GRACE_HOURS = 72;

export interface PartnerSpec {
  pbcRefNumber: string;
  name: string;
  redirectTargets: string[];
  keyStyle: "lower" | "camel";
  glPosting: boolean;
  cashAccount: string | null;
  /** After a decline: "retry" in place (the default for new partners) or "return" at once. */
  onDecline?: "retry" | "return";
}

export interface IssuedCredentials {
  apiKey: string | null;
  clientId: string | null;
  clientSecret: string | null;
}

function checkSpec(spec: PartnerSpec): void {
  // No leading zeros: journal names encode the number, and 010006 must not alias 10006.
  if (!isPbcRefNumber(spec.pbcRefNumber)) throw new OnboardingError("pbcRefNumber must be a number from 1 to 99999999");
  if (spec.name.trim() === "" || spec.name.length > 100) throw new OnboardingError("name must be 1 to 100 characters");
  for (const target of spec.redirectTargets) {
    const parsed = parseRedirectTarget(target);
    if (typeof parsed === "string") throw new OnboardingError(`redirect target ${target}: ${parsed}`);
  }
  if (spec.cashAccount !== null && !isValidRevenueAccount(spec.cashAccount)) {
    throw new OnboardingError("cash account must be in XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX format");
  }
  if (spec.glPosting && spec.cashAccount === null) throw new OnboardingError("GL posting needs a cash (clearing) account");
}

/**
 * Create a partner with an MD5 API key and OAuth client. Idempotent: parts that already exist are
 * kept (their secrets are not re-issued and come back as null). Given secrets are used as they are
 * (local seeding of the documented demo values); otherwise they are generated.
 */
export async function createPartner(
  db: Db,
  encryptionKey: string,
  spec: PartnerSpec,
  now: Date,
  given: { apiKey?: string; clientId?: string; clientSecret?: string } = {},
  operator: Operator = SYSTEM,
): Promise<{ created: boolean; credentials: IssuedCredentials }> {
  checkSpec(spec);
  const created = await insertPartner(db, spec, now);
  for (const target of spec.redirectTargets) await addRedirectTarget(db, spec.pbcRefNumber, target, now);
  let apiKey: string | null = null;
  if (!(await hasApiKey(db, spec.pbcRefNumber))) {
    apiKey = given.apiKey ?? randomToken(24);
    await setApiKey(db, encryptionKey, spec.pbcRefNumber, apiKey, now, now);
  }
  let clientId: string | null = null;
  let clientSecret: string | null = null;
  if ((await listClients(db, spec.pbcRefNumber)).length === 0) {
    clientId = given.clientId ?? `pbc-${spec.pbcRefNumber}-${randomToken(6)}`;
    clientSecret = given.clientSecret ?? randomToken(32);
    await insertClient(db, clientId, spec.pbcRefNumber, clientSecret, now);
  }
  if (created)
    await audit(db, operator, "partner.created", spec.pbcRefNumber, {
      name: spec.name,
      keyStyle: spec.keyStyle,
      glPosting: spec.glPosting,
    });
  return { created, credentials: { apiKey, clientId, clientSecret } };
}

async function requirePartner(db: Db, pbcRefNumber: string) {
  const partner = await findPartner(db, pbcRefNumber);
  if (!partner) throw new OnboardingError(`no partner ${pbcRefNumber}`);
  return partner;
}

export async function showPartner(db: Db, pbcRefNumber: string) {
  const partner = await requirePartner(db, pbcRefNumber);
  return {
    ...partner,
    redirectTargets: await listRedirectTargets(db, pbcRefNumber),
    oauthClients: await listClients(db, pbcRefNumber),
  };
}

export { listPartners };

export async function addTarget(
  db: Db,
  pbcRefNumber: string,
  target: string,
  now: Date,
  operator: Operator = SYSTEM,
): Promise<boolean> {
  await requirePartner(db, pbcRefNumber);
  const parsed = parseRedirectTarget(target);
  if (typeof parsed === "string") throw new OnboardingError(parsed);
  const added = await addRedirectTarget(db, pbcRefNumber, target, now);
  if (added) await audit(db, operator, "partner.redirect_added", pbcRefNumber, { target });
  return added;
}

export async function removeTarget(db: Db, pbcRefNumber: string, target: string, operator: Operator = SYSTEM): Promise<boolean> {
  await requirePartner(db, pbcRefNumber);
  const removed = await removeRedirectTarget(db, pbcRefNumber, target);
  if (removed) await audit(db, operator, "partner.redirect_removed", pbcRefNumber, { target });
  return removed;
}

export async function rotateApiKey(
  db: Db,
  encryptionKey: string,
  pbcRefNumber: string,
  now: Date,
  graceHours = ROTATION_GRACE_HOURS,
  operator: Operator = SYSTEM,
) {
  await requirePartner(db, pbcRefNumber);
  const apiKey = randomToken(24);
  const graceUntil = new Date(now.getTime() + graceHours * 3_600_000);
  await setApiKey(db, encryptionKey, pbcRefNumber, apiKey, now, graceUntil);
  await audit(db, operator, "partner.api_key_rotated", pbcRefNumber, { previousValidUntil: graceUntil.toISOString() });
  return { apiKey, previousValidUntil: graceUntil.toISOString() };
}

export async function rotateOAuthSecret(
  db: Db,
  pbcRefNumber: string,
  now: Date,
  graceHours = ROTATION_GRACE_HOURS,
  operator: Operator = SYSTEM,
) {
  await requirePartner(db, pbcRefNumber);
  const [client] = await listClients(db, pbcRefNumber);
  if (!client) throw new OnboardingError(`partner ${pbcRefNumber} has no OAuth client`);
  const clientSecret = randomToken(32);
  const graceUntil = new Date(now.getTime() + graceHours * 3_600_000);
  await rotateClientSecret(db, client.clientId, clientSecret, now, graceUntil);
  await audit(db, operator, "partner.oauth_secret_rotated", pbcRefNumber, { clientId: client.clientId });
  return { clientId: client.clientId, clientSecret, previousValidUntil: graceUntil.toISOString() };
}

export async function setPartnerStatus(
  db: Db,
  pbcRefNumber: string,
  status: "ACTIVE" | "DISABLED",
  now: Date,
  operator: Operator = SYSTEM,
) {
  await requirePartner(db, pbcRefNumber);
  await updatePartner(db, pbcRefNumber, { status }, now);
  await audit(db, operator, status === "ACTIVE" ? "partner.enabled" : "partner.disabled", pbcRefNumber);
}

export async function configurePartner(
  db: Db,
  pbcRefNumber: string,
  changes: {
    keyStyle?: "lower" | "camel";
    glPosting?: boolean;
    cashAccount?: string | null;
    name?: string;
    /** MD5 (the contract's) or its successor HMAC-SHA256, for direct sale requests and responses. */
    signingAlgorithm?: "MD5" | "HMAC-SHA256";
    onDecline?: "retry" | "return";
  },
  now: Date,
  operator: Operator = SYSTEM,
) {
  const partner = await requirePartner(db, pbcRefNumber);
  checkSpec({
    pbcRefNumber,
    name: changes.name ?? partner.name,
    redirectTargets: [],
    keyStyle: changes.keyStyle ?? partner.keyStyle,
    glPosting: changes.glPosting ?? partner.glPosting,
    cashAccount: changes.cashAccount === undefined ? partner.cashAccount : changes.cashAccount,
  });
  await updatePartner(db, pbcRefNumber, changes, now);
  await audit(db, operator, "partner.configured", pbcRefNumber, { ...changes });
}

/** What the person paying sees of the partner. `null` clears a field; undefined leaves it. */
export interface PartnerFaceChanges {
  nameFr?: string | null;
  contactEmail?: string | null;
  contactPhone?: string | null;
  contactUrl?: string | null;
  privacyNoticeEn?: string | null;
  privacyNoticeFr?: string | null;
}

export function checkPartnerFace(changes: PartnerFaceChanges): void {
  const { nameFr, contactEmail, contactPhone, contactUrl, privacyNoticeEn, privacyNoticeFr } = changes;
  if (nameFr != null && (nameFr.trim() === "" || nameFr.length > 100))
    throw new OnboardingError("French name must be 1 to 100 characters");
  if (contactEmail != null) {
    const parsed = parseReceiptEmail(contactEmail);
    if (!parsed.ok || parsed.address === null) throw new OnboardingError("contact email must be one email address");
  }
  if (contactPhone != null && !/^\+?[0-9][0-9 ().-]{6,24}$/.test(contactPhone)) {
    throw new OnboardingError("contact phone must be a telephone number, e.g. 1-800-663-7867");
  }
  if (contactUrl != null) {
    let url: URL | null = null;
    try {
      url = new URL(contactUrl);
    } catch {}
    if (url?.protocol !== "https:" || url.username || url.password || contactUrl.length > 300) {
      throw new OnboardingError("contact URL must be an https address of at most 300 characters");
    }
  }
  for (const notice of [privacyNoticeEn, privacyNoticeFr]) {
    if (
      notice != null &&
      (notice.trim().length < 40 || notice.length > 2000 || /[\u0000-\u0008\u000b-\u001f\u007f<>]/.test(notice))
    ) {
      throw new OnboardingError("a privacy notice must be 40 to 2000 characters of plain text (purpose, authority, contact)");
    }
  }
}

export async function setPartnerFace(
  db: Db,
  pbcRefNumber: string,
  changes: PartnerFaceChanges,
  now: Date,
  operator: Operator = SYSTEM,
): Promise<void> {
  await requirePartner(db, pbcRefNumber);
  checkPartnerFace(changes);
  // Stored as mail servers read it (the domain in lower case), so the page shows one spelling.
  const contactEmail = changes.contactEmail == null ? changes.contactEmail : parseReceiptEmail(changes.contactEmail);
  const normalised =
    contactEmail && typeof contactEmail === "object" && contactEmail.ok
      ? { ...changes, contactEmail: contactEmail.address }
      : changes;
  await updatePartner(db, pbcRefNumber, normalised, now);
  await audit(db, operator, "partner.face_changed", pbcRefNumber, { fields: Object.keys(changes) });
}

/** Logo: PNG or SVG, at most 32 KB; an SVG with script, event handlers or external references is refused. */
export async function setPartnerLogoFile(
  db: Db,
  pbcRefNumber: string,
  logo: { bytes: Uint8Array; contentType: "image/png" | "image/svg+xml" } | null,
  now: Date,
  operator: Operator = SYSTEM,
): Promise<void> {
  await requirePartner(db, pbcRefNumber);
  if (logo === null) {
    await setPartnerLogo(db, pbcRefNumber, null, now);
    await audit(db, operator, "partner.logo_removed", pbcRefNumber);
    return;
  }
  if (logo.bytes.length === 0 || logo.bytes.length > 32 * 1024) throw new OnboardingError("logo must be 1 byte to 32 KB");
  if (logo.contentType === "image/png") {
    const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    if (!signature.every((byte, i) => logo.bytes[i] === byte)) throw new OnboardingError("logo is not a PNG file");
  } else {
    const text = new TextDecoder().decode(logo.bytes);
    if (!/<svg[\s>]/i.test(text)) throw new OnboardingError("logo is not an SVG file");
    if (/<script|\son[a-z]+\s*=|<foreignObject|(?:href|src)\s*=\s*["']?\s*(?:https?:|\/\/|javascript:|data:)/i.test(text)) {
      throw new OnboardingError("SVG logo must not contain scripts, event handlers or external references");
    }
  }
  let binary = "";
  for (const byte of logo.bytes) binary += String.fromCharCode(byte);
  const sha256 = await sha256Hex(logo.bytes);
  await setPartnerLogo(db, pbcRefNumber, { contentType: logo.contentType, dataBase64: btoa(binary), sha256 }, now);
  await audit(db, operator, "partner.logo_set", pbcRefNumber, { bytes: logo.bytes.length, type: logo.contentType });
}

/** The documented local demo partner (README). */
export const DEMO_PARTNER = {
  spec: {
    pbcRefNumber: "10006",
    name: "Demo Ministry",
    redirectTargets: ["http://localhost:*/", "http://127.0.0.1:*/"],
    keyStyle: "lower",
    glPosting: true,
    cashAccount: "039.18ACE.10001.8928.1800000.000000.0000",
  } satisfies PartnerSpec,
  apiKey: "demo-api-key-10006",
  clientId: "demo-client-10006",
  clientSecret: "demo-secret-10006",
};

/** Chart of accounts for ledger validation in the nightly GL run. */
export async function loadChartOfAccounts(
  db: Db,
  pbcRefNumber: string,
  accounts: string[],
  status: "OPEN" | "CLOSED" = "OPEN",
  operator: Operator = SYSTEM,
) {
  await requirePartner(db, pbcRefNumber);
  const bad = accounts.filter((account) => !isValidRevenueAccount(account));
  if (bad.length > 0) throw new OnboardingError(`not in XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX format: ${bad.join(", ")}`);
  const changed = await setAccounts(db, pbcRefNumber, accounts, status);
  await audit(db, operator, "partner.accounts_loaded", pbcRefNumber, { accounts: accounts.length, status });
  return changed;
}

export async function chartOfAccounts(db: Db, pbcRefNumber: string) {
  await requirePartner(db, pbcRefNumber);
  return listAccounts(db, pbcRefNumber);
}

export async function removeChartAccount(db: Db, pbcRefNumber: string, account: string, operator: Operator = SYSTEM) {
  await requirePartner(db, pbcRefNumber);
  const removed = await removeAccount(db, pbcRefNumber, account);
  if (removed) await audit(db, operator, "partner.account_removed", pbcRefNumber, { account });
  return removed;
}
