/** The optional receipt address: checked like a mail server would accept it, never a card number. */

export type ReceiptEmail = { ok: true; address: string | null } | { ok: false };

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Empty = no receipt wanted. Refused: anything that is not one plain address, or holds 12+ digits. */
export function parseReceiptEmail(text: string): ReceiptEmail {
  const address = text.trim();
  if (address === "") return { ok: true, address: null };
  // 12 or more digits in a row may be a card number typed in the wrong box: never accepted or stored.
  if (address.length > 254 || /\d{12,}/.test(address.replace(/[\s.-]/g, ""))) return { ok: false };
  const at = address.lastIndexOf("@");
  if (at <= 0) return { ok: false };
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (!LOCAL.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) return { ok: false };
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label)) || !/^[A-Za-z]{2,63}$/.test(labels.at(-1) ?? "")) {
    return { ok: false };
  }
  return { ok: true, address: `${local}@${domain.toLowerCase()}` };
}

/** What the form may show again after an error: the address as typed, unless it may hold a card number. */
export function redisplayableEmail(text: string): string {
  return (text.match(/\d/g)?.length ?? 0) >= 12 ? "" : text.slice(0, 254);
}

/**
 * An address as support staff may see it: the first character of the mailbox and the domain
 * (j***@example.com), enough to confirm it with the person, never the whole address.
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${address.slice(0, 1)}***@${address.slice(at + 1)}`;
}
