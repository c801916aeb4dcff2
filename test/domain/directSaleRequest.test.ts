import { describe, expect, it } from "vitest";
import { collectParams, validateDirectSaleRequest } from "../../src/domain/directSaleRequest.ts";

// 2026-11-23 10:00 Pacific (18:00 UTC).
const NOW = new Date("2026-11-23T18:00:00Z");
const valid: Record<string, string> = {
  trnDate: "2026-11-23",
  pbcRefNumber: "10006",
  glDate: "2026-11-23",
  description: "Direct Sale",
  pbcTxnNumber: "EZ000101",
  trnAmount: "100.00",
  paymentMethod: "CC",
  currency: "CAD",
  redirectUri: "https://localhost:7002/index.html",
  revenue: "1:039.18ACE.14691.8928.1800000.000000.0000:75.00|2:039.18ACE.14692.8928.1800000.000000.0000:25.00",
};

function validate(overrides: Record<string, string | undefined>, now = NOW) {
  const merged = { ...valid, ...overrides };
  const pairs = Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return validateDirectSaleRequest(collectParams(pairs), now);
}

function errorsOf(overrides: Record<string, string | undefined>, now = NOW) {
  const result = validate(overrides, now);
  return result.ok ? {} : result.errors;
}

describe("direct sale validation", () => {
  it("accepts the contract's example and converts money to cents", () => {
    const result = validate({});
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.request.trnAmountCents).toBe(10000);
      expect(result.request.revenue).toEqual([
        { lineNumber: 1, revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmountCents: 7500 },
        { lineNumber: 2, revenueAccount: "039.18ACE.14692.8928.1800000.000000.0000", revenueAmountCents: 2500 },
      ]);
    }
  });

  it("requires every mandatory parameter with 'A value is required'", () => {
    for (const field of [
      "trnDate",
      "pbcRefNumber",
      "glDate",
      "description",
      "pbcTxnNumber",
      "trnAmount",
      "paymentMethod",
      "currency",
      "redirectUri",
      "revenue",
    ]) {
      expect(errorsOf({ [field]: undefined })).toMatchObject({ [field]: "A value is required" });
      expect(errorsOf({ [field]: " " })).toMatchObject({ [field]: "A value is required" });
    }
  });

  it("accepts trnNumber as the deployed clients' name for pbcTxnNumber", () => {
    const result = validate({ pbcTxnNumber: undefined, trnNumber: "REG00001358" });
    expect(result.ok && result.request.pbcTxnNumber).toBe("REG00001358");
    expect(errorsOf({ trnNumber: "OTHER" })).toMatchObject({ pbcTxnNumber: "pbcTxnNumber and trnNumber must not differ" });
  });

  it("trnDate must be today's date", () => {
    expect(errorsOf({ trnDate: "2026-11-22" })).toEqual({ trnDate: "Date should be todays date" });
    expect(errorsOf({ trnDate: "2026-11-24" })).toEqual({ trnDate: "Date should be todays date" });
    expect(errorsOf({ trnDate: "23-11-2026" })).toEqual({ trnDate: "Date must be in yyyy-MM-dd format" });
  });

  it("trnDate: the UTC date of a client dating in UTC is accepted in the evening, stored as the Pacific date", () => {
    // 2026-11-23 20:00 Pacific is 2026-11-24 04:00 UTC.
    const evening = new Date("2026-11-24T04:00:00Z");
    const result = validate({ trnDate: "2026-11-24", glDate: "2026-11-24" }, evening);
    expect(result.ok && result.request.trnDate).toBe("2026-11-23");
    expect(validate({ trnDate: "2026-11-23" }, evening).ok).toBe(true);
  });

  it("glDate must not be in the past", () => {
    expect(errorsOf({ glDate: "2026-11-22" })).toEqual({ glDate: "GL date should not be in the past" });
    expect(validate({ glDate: "2026-12-01" }).ok).toBe(true);
    expect(errorsOf({ glDate: "2026-02-30" })).toEqual({ glDate: "Date must be in yyyy-MM-dd format" });
  });

  it("description at most 100 characters", () => {
    expect(validate({ description: "x".repeat(100) }).ok).toBe(true);
    expect(errorsOf({ description: "x".repeat(101) })).toEqual({
      description: "Description must not be more than 100 characters",
    });
    expect(validate({ description: "é".repeat(100) }).ok).toBe(true);
  });

  it("pbcTxnNumber at most 50 characters", () => {
    expect(validate({ pbcTxnNumber: "T".repeat(50) }).ok).toBe(true);
    expect(errorsOf({ pbcTxnNumber: "T".repeat(51) })).toEqual({
      pbcTxnNumber: "Transaction number must not be more than 50 characters",
    });
  });

  it("trnAmount: two fraction digits, greater than 0, equal to the revenue sum in cents", () => {
    for (const bad of ["100", "100.0", "100.000", "1e3", "-0.00", "10.005", "0x10", "+1.00", "1,00.00", " 100.00", "١٠٠.٠٠"]) {
      expect(errorsOf({ trnAmount: bad })).toMatchObject({
        trnAmount: "Amount must be a decimal number with two digits in the fractional part",
      });
    }
    expect(errorsOf({ trnAmount: "0.00", revenue: "1:039.18ACE.14691.8928.1800000.000000.0000:0.00" })).toMatchObject({
      trnAmount: "Amount must be greater than 0",
    });
    expect(errorsOf({ trnAmount: "100.01" })).toEqual({ trnAmount: "Amount must equal the sum of the revenue amounts (100.00)" });
    // 0.10 + 0.20 is exactly 0.30 in cents (no floating point drift).
    expect(
      validate({
        trnAmount: "0.30",
        revenue: "1:039.18ACE.14691.8928.1800000.000000.0000:0.10|2:039.18ACE.14691.8928.1800000.000000.0000:0.20",
      }).ok,
    ).toBe(true);
  });

  it("paymentMethod CC or VI, currency CAD only", () => {
    expect(validate({ paymentMethod: "VI" }).ok).toBe(true);
    expect(errorsOf({ paymentMethod: "DD" })).toEqual({ paymentMethod: "Payment method must be CC (credit) or VI (debit)" });
    expect(errorsOf({ currency: "USD" })).toEqual({ currency: "Currency must be CAD" });
  });

  it("revenue: format, account pattern, numeric unique line numbers, two-decimal amounts", () => {
    expect(errorsOf({ revenue: "1:039.18ACE.14691.8928.1800000.000000:100.00" }).revenue).toContain("Revenue account must be in");
    expect(errorsOf({ revenue: "1:039.18ACE.14691.8928.1800000.000000.00-0:100.00" }).revenue).toContain(
      "Revenue account must be in",
    );
    expect(errorsOf({ revenue: "a:039.18ACE.14691.8928.1800000.000000.0000:100.00" }).revenue).toBe(
      "Revenue line 1: Line number must be numeric",
    );
    expect(errorsOf({ revenue: "1:039.18ACE.14691.8928.1800000.000000.0000:100" }).revenue).toBe(
      "Revenue line 1: Revenue amount must be a number with two decimal digits",
    );
    expect(
      errorsOf({ revenue: "1:039.18ACE.14691.8928.1800000.000000.0000:75.00|1:039.18ACE.14692.8928.1800000.000000.0000:25.00" })
        .revenue,
    ).toBe("Revenue line 2: Line numbers must be unique");
    expect(errorsOf({ revenue: "1:039.18ACE.14691.8928.1800000.000000.0000" }).revenue).toBe(
      "Revenue line 1: must be lineNumber:revenueAccount:revenueAmount",
    );
    // The contract writes every line with a trailing "|".
    expect(validate({ revenue: `${valid.revenue}|` }).ok).toBe(true);
  });

  it("refs are optional and bounded; a repeated parameter is an error", () => {
    expect(validate({ ref1: "a", ref2: "b", ref3: "c" }).ok).toBe(true);
    expect(errorsOf({ ref1: "r".repeat(251) })).toEqual({ ref1: "Reference must not be more than 250 characters" });
    const pairs: Array<[string, string]> = [...Object.entries(valid), ["trnAmount", "1.00"]];
    const result = validateDirectSaleRequest(collectParams(pairs), NOW);
    expect(result.ok ? null : result.errors.trnAmount).toBe("Give this parameter only once");
  });

  it("reports every failing field at once, as the contract's example does", () => {
    const errors = errorsOf({ trnDate: "2020-04-18", currency: "USD", paymentMethod: undefined });
    expect(Object.keys(errors).sort()).toEqual(["currency", "paymentMethod", "trnDate"]);
  });
});
