/**
 * Card checks done before anything is sent to the processor. The same code runs in the browser as
 * a convenience (public/card.js is bundled from cardFieldErrors); the server is the authority.
 * Nothing here keeps a card number: callers get the brand, the last four digits and errors only.
 */

export type CardBrand = "visa" | "mastercard" | "amex" | "discover";

/** Card type codes returned to partners. */
export const CARD_TYPE_CODE = {
  visa: "VI",
  mastercard: "MC",
  amex: "AM",
  discover: "DI",
} as const satisfies Record<CardBrand, string>;
export type CardTypeCode = (typeof CARD_TYPE_CODE)[CardBrand];

export function isCardTypeCode(value: string): value is CardTypeCode {
  return (Object.values(CARD_TYPE_CODE) as string[]).includes(value);
}

const BRAND_LENGTHS: Record<CardBrand, number[]> = {
  visa: [13, 16, 19],
  mastercard: [16],
  amex: [15],
  discover: [16, 17, 18, 19],
};

/**
 * The rules' messages, one key per rule. The words live in the i18n catalogues (`cardErrors` of
 * src/i18n/en.ts and fr.ts): callers pass the page's language's messages.
 */
export type CardMessageKey =
  | "numberRequired"
  | "numberInvalid"
  | "numberLength"
  | "notAccepted"
  | "debitVisaOnly"
  | "expiryMonth"
  | "expiryYear"
  | "expiryPast"
  | "nameRequired"
  | "nameLength"
  | "nameDigits"
  | "securityCode"
  | "securityCodeAmex";
export type CardMessages = Record<CardMessageKey, string>;

/**
 * The values a form may show again after an error. A field holding 12 or more digits may be a card
 * number typed in the wrong box: it is cleared, never echoed.
 */
export function redisplayableValues(input: CardInput): Pick<CardInput, "expiryMonth" | "expiryYear" | "cardholderName"> {
  const safe = (value: string) => ((value.match(/\d/g)?.length ?? 0) >= 12 ? "" : value);
  return {
    expiryMonth: safe(input.expiryMonth),
    expiryYear: safe(input.expiryYear),
    cardholderName: safe(input.cardholderName),
  };
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

export function detectBrand(digits: string): CardBrand | null {
  if (/^4/.test(digits)) return "visa";
  if (/^3[47]/.test(digits)) return "amex";
  const first6 = Number(digits.slice(0, 6));
  if (/^5[1-5]/.test(digits) || (first6 >= 222100 && first6 <= 272099)) return "mastercard";
  if (/^(6011|65|64[4-9])/.test(digits) || (first6 >= 622126 && first6 <= 622925)) return "discover";
  return null;
}

export interface CardInput {
  cardNumber: string;
  expiryMonth: string;
  expiryYear: string;
  cardholderName: string;
  securityCode: string;
}

export type CardField = keyof CardInput;
export type CardErrors = Partial<Record<CardField, string>>;

export interface CheckedCard {
  /** Digits only: pass to the processor, never store or log. */
  number: string;
  brand: CardBrand;
  cardType: CardTypeCode;
  lastFour: string;
  expiryMonth: number;
  /** Four-digit year. */
  expiryYear: number;
  name: string;
  securityCode: string;
}

export type CardCheck = { ok: true; card: CheckedCard } | { ok: false; errors: CardErrors };

/**
 * The payment methods a card of this brand may pay: CC (credit) takes every accepted brand, VI
 * (debit) only Visa. The same rule as `cardFieldErrors`' debitVisaOnly, for the authorisation lock,
 * which checks it against the stored payment method before the payment is read.
 */
export function paymentMethodsFor(brand: CardBrand): readonly string[] {
  return brand === "visa" ? ["CC", "VI"] : ["CC"];
}

/**
 * Every rule of the card form, as one function: the server runs it before calling the processor and
 * the browser runs the very same code (bundled into public/card.js by scripts/build-browser.ts), so
 * the two can never disagree (name length in code points, expiry against the Pacific date...).
 * @param today the cardholder's current month, yyyy-MM-dd (Pacific business date)
 * @param paymentMethod CC (credit: any accepted brand) or VI (debit: Visa only)
 * @param messages the words of each rule in the page's language (i18n `cardErrors`)
 */
export function cardFieldErrors(
  input: CardInput,
  paymentMethod: string,
  today: string,
  messages: CardMessages,
): { errors: CardErrors; number: string; brand: CardBrand | null; month: number; year: number; name: string; code: string } {
  const errors: CardErrors = {};
  const number = input.cardNumber.replace(/[\s-]/g, "");
  let brand: CardBrand | null = null;
  if (number === "") errors.cardNumber = messages.numberRequired;
  else if (!/^\d+$/.test(number)) errors.cardNumber = messages.numberInvalid;
  else if (number.length < 12 || number.length > 19) errors.cardNumber = messages.numberLength;
  else if (!luhnValid(number)) errors.cardNumber = messages.numberInvalid;
  else {
    brand = detectBrand(number);
    if (brand === null) errors.cardNumber = messages.notAccepted;
    else if (!BRAND_LENGTHS[brand].includes(number.length)) errors.cardNumber = messages.numberLength;
    else if (paymentMethod === "VI" && brand !== "visa") errors.cardNumber = messages.debitVisaOnly;
  }

  const monthText = input.expiryMonth.trim();
  const yearText = input.expiryYear.trim();
  const month = /^\d{1,2}$/.test(monthText) ? Number(monthText) : Number.NaN;
  let year = /^(\d{2}|\d{4})$/.test(yearText) ? Number(yearText) : Number.NaN;
  if (yearText.length === 2) year += 2000;
  if (!(month >= 1 && month <= 12)) errors.expiryMonth = messages.expiryMonth;
  if (Number.isNaN(year)) errors.expiryYear = messages.expiryYear;
  if (errors.expiryMonth === undefined && errors.expiryYear === undefined) {
    const [thisYear, thisMonth] = today.split("-").map(Number) as [number, number];
    // A card is valid to the end of its expiry month.
    if (year < thisYear || (year === thisYear && month < thisMonth)) errors.expiryMonth = messages.expiryPast;
    else if (year > thisYear + 20) errors.expiryYear = messages.expiryYear;
  }

  const name = input.cardholderName.trim().replace(/\s+/g, " ");
  if (name === "") errors.cardholderName = messages.nameRequired;
  else if ((name.match(/\d/g)?.length ?? 0) >= 12) errors.cardholderName = messages.nameDigits;
  else if ([...name].length > 45) errors.cardholderName = messages.nameLength;

  const code = input.securityCode.trim();
  const codeLength = brand === "amex" ? 4 : 3;
  if (!/^\d+$/.test(code) || code.length !== codeLength) {
    errors.securityCode = brand === "amex" ? messages.securityCodeAmex : messages.securityCode;
  }
  return { errors, number, brand, month, year, name, code };
}

/** The server's check: errors, or the card to pass to the processor. */
export function checkCard(input: CardInput, paymentMethod: string, today: string, messages: CardMessages): CardCheck {
  const { errors, number, brand, month, year, name, code } = cardFieldErrors(input, paymentMethod, today, messages);
  if (Object.keys(errors).length > 0 || brand === null) return { ok: false, errors };
  return {
    ok: true,
    card: {
      number,
      brand,
      cardType: CARD_TYPE_CODE[brand],
      lastFour: number.slice(-4),
      expiryMonth: month,
      expiryYear: year,
      name,
      securityCode: code,
    },
  };
}
