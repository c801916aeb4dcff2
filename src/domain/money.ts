/** Money on the wire is a decimal string with exactly two fraction digits; internally integer cents. */

const AMOUNT_PATTERN = /^(\d{1,9})\.(\d{2})$/;

/** "100.00" -> 10000; anything else (1e3, -0.00, 10.005, 0x10, " 1.00") -> null. */
export function parseAmountToCents(text: string): number | null {
  const match = AMOUNT_PATTERN.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number(match[2]);
}

/** 10000 -> "100.00" */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`not a cent amount: ${cents}`);
  const whole = Math.floor(cents / 100);
  const fraction = cents % 100;
  return `${whole}.${fraction.toString().padStart(2, "0")}`;
}
