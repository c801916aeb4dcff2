import { describe, expect, it } from "vitest";
import {
  type CardInput,
  checkCard,
  detectBrand,
  luhnValid,
  paymentMethodsFor,
  redisplayableValues,
} from "../../src/domain/card.ts";
import { en } from "../../src/i18n/en.ts";

const TODAY = "2026-11-23";
const base: CardInput = {
  cardNumber: "4030000010001234",
  expiryMonth: "12",
  expiryYear: "2028",
  cardholderName: "Pat Payer",
  securityCode: "123",
};
const check = (overrides: Partial<CardInput>, method = "CC") =>
  checkCard({ ...base, ...overrides }, method, TODAY, en.cardErrors);

describe("card checks", () => {
  it("Luhn", () => {
    expect(luhnValid("4030000010001234")).toBe(true);
    expect(luhnValid("4030000010001235")).toBe(false);
    expect(luhnValid("371100001000131")).toBe(true);
  });

  it("detects brands and maps them to partner card type codes", () => {
    const cases: Array<[string, string]> = [
      ["4030000010001234", "VI"],
      ["5100000010001004", "MC"],
      ["2223000048400011", "MC"],
      ["371100001000131", "AM"],
      ["6011500080009080", "DI"],
      ["4504481742333", "VI"],
    ];
    for (const [number, code] of cases) {
      const result = check({ cardNumber: number, securityCode: code === "AM" ? "1234" : "123" });
      expect(result.ok && result.card.cardType).toBe(code);
    }
    expect(detectBrand("3530111333300000")).toBeNull();
  });

  it("accepts spaces typed in the number and keeps only the last four", () => {
    const result = check({ cardNumber: "4030 0000 1000 1234" });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.card.lastFour).toBe("1234");
  });

  it("refuses bad numbers with GOV.UK-style messages", () => {
    expect(check({ cardNumber: "" })).toEqual({ ok: false, errors: { cardNumber: "Enter your card number" } });
    expect(check({ cardNumber: "4030000010001235" })).toMatchObject({ errors: { cardNumber: "Enter a valid card number" } });
    expect(check({ cardNumber: "40300000100" })).toMatchObject({
      errors: { cardNumber: "Card number is not the correct length" },
    });
    expect(check({ cardNumber: "40300000100012345678" })).toMatchObject({
      errors: { cardNumber: "Card number is not the correct length" },
    });
    expect(check({ cardNumber: "4030abcd10001234" })).toMatchObject({ errors: { cardNumber: "Enter a valid card number" } });
    expect(check({ cardNumber: "3530111333300000" })).toMatchObject({ errors: { cardNumber: "This card type is not accepted" } });
  });

  it("debit (VI) accepts Visa only", () => {
    expect(check({}, "VI").ok).toBe(true);
    expect(check({ cardNumber: "5100000010001004" }, "VI")).toMatchObject({
      errors: { cardNumber: "This card type is not accepted. For debit, use a Visa Debit card" },
    });
  });

  it("expiry must be this month or later", () => {
    expect(check({ expiryMonth: "11", expiryYear: "2026" }).ok).toBe(true);
    expect(check({ expiryMonth: "10", expiryYear: "2026" })).toMatchObject({
      errors: { expiryMonth: "Enter an expiry date in the future" },
    });
    expect(check({ expiryMonth: "12", expiryYear: "25" })).toMatchObject({
      errors: { expiryMonth: "Enter an expiry date in the future" },
    });
    expect(check({ expiryMonth: "13" })).toMatchObject({ errors: { expiryMonth: "Enter a valid expiry month, from 1 to 12" } });
    expect(check({ expiryYear: "20x8" })).toMatchObject({ errors: { expiryYear: "Enter a valid expiry year" } });
    expect(check({ expiryMonth: "1", expiryYear: "28" }).ok).toBe(true);
  });

  it("security code: 3 digits, 4 for Amex", () => {
    expect(check({ securityCode: "12" })).toMatchObject({ errors: { securityCode: "Enter a valid card security code" } });
    expect(check({ securityCode: "1234" })).toMatchObject({ errors: { securityCode: "Enter a valid card security code" } });
    expect(check({ cardNumber: "371100001000131", securityCode: "123" })).toMatchObject({
      errors: { securityCode: "Enter a valid card security code: 4 digits on the front of the card" },
    });
    expect(check({ cardNumber: "371100001000131", securityCode: "1234" }).ok).toBe(true);
  });

  it("refuses a name that looks like a card number", () => {
    expect(check({ cardholderName: "4030000010001234" })).toMatchObject({
      errors: { cardholderName: "Enter the name as it appears on the card, not the card number" },
    });
    expect(check({ cardholderName: "  " })).toMatchObject({
      errors: { cardholderName: "Enter the name as it appears on the card" },
    });
  });

  it("error results never carry the card number or security code", () => {
    const result = check({ cardNumber: "4030000010001235", securityCode: "99" });
    expect(JSON.stringify(result)).not.toContain("4030000010001235");
    expect(JSON.stringify(result)).not.toContain('"99"');
  });
});

describe("redisplayableValues", () => {
  it("keeps ordinary values and clears any field holding a card-length run of digits", () => {
    expect(redisplayableValues(base)).toEqual({ expiryMonth: "12", expiryYear: "2028", cardholderName: "Pat Payer" });
    expect(redisplayableValues({ ...base, cardholderName: "Pat 4030 0000 1000 1234", expiryYear: "403000001000123" })).toEqual({
      expiryMonth: "12",
      expiryYear: "",
      cardholderName: "",
    });
    expect(redisplayableValues({ ...base, cardholderName: "Unit 12345678901 Pat" }).cardholderName).toBe("Unit 12345678901 Pat");
  });
});

describe("the payment methods a card may pay (the authorisation lock's rule)", () => {
  it("are exactly those whose form check accepts the card", () => {
    const cards = ["4030000010001234", "5100000010001004", "2223000048400011", "371100001000131", "6011500080009080"];
    for (const cardNumber of cards) {
      const brand = detectBrand(cardNumber);
      if (brand === null) throw new Error(`no brand for ${cardNumber}`);
      for (const method of ["CC", "VI"]) {
        const securityCode = brand === "amex" ? "1234" : "123";
        expect([cardNumber, method, paymentMethodsFor(brand).includes(method)]).toEqual([
          cardNumber,
          method,
          check({ cardNumber, securityCode }, method).ok,
        ]);
      }
    }
  });
});
