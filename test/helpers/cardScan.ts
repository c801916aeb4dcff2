/** Shared by the workerd tests and the end-to-end sweep (Node): no runtime-specific APIs. */

/**
 * What a leaked card number looks like: 13-19 digits (optionally grouped by spaces or dashes) that
 * pass Luhn and start like a card (2-6), standing alone rather than inside a longer token: digests,
 * base64 tokens and transaction numbers like T00000A3F1700000000000 are not card numbers, nor is
 * the UTC time stamp that ends a ledger file's name (INBOX.F3535.20261202013904: 14 digits that
 * pass Luhn one time in ten).
 */
export function findCardNumbers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?<![0-9A-Za-z])(?<!\.F\d{4}\.)[2-6]\d{3}(?:[ -]?\d){9,15}(?![0-9A-Za-z])/g)) {
    const digits = match[0].replace(/[ -]/g, "");
    if (digits.length < 13 || digits.length > 19) continue;
    let sum = 0;
    let dbl = false;
    for (let i = digits.length - 1; i >= 0; i--) {
      let d = Number(digits[i]);
      if (dbl) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      dbl = !dbl;
    }
    if (sum % 10 === 0) found.push(digits);
  }
  return found;
}

/** Form fields or JSON keys that would carry a security code. */
export const SECURITY_CODE_FIELD = /(?:securityCode|security_code|cvd|cvv|cvc)(?:"\s*:\s*"|=)\d{3,4}\b/i;
