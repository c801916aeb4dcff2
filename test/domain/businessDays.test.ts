import { describe, expect, it } from "vitest";
import { bcHolidays, easterSunday, isBusinessDay, ledgerEffectiveDate, nextBusinessDay } from "../../src/domain/businessDays.ts";
import { fiscalYear } from "../../src/domain/businessTime.ts";

describe("BC statutory holidays", () => {
  it("the table gives 2026's eleven holidays on their dates", () => {
    expect([...bcHolidays(2026).entries()].sort()).toEqual(
      [
        ["2026-01-01", "New Year's Day"],
        ["2026-02-16", "Family Day"],
        ["2026-04-03", "Good Friday"],
        ["2026-05-18", "Victoria Day"],
        ["2026-07-01", "Canada Day"],
        ["2026-08-03", "British Columbia Day"],
        ["2026-09-07", "Labour Day"],
        ["2026-09-30", "National Day for Truth and Reconciliation"],
        ["2026-10-12", "Thanksgiving Day"],
        ["2026-11-11", "Remembrance Day"],
        ["2026-12-25", "Christmas Day"],
      ].sort(),
    );
  });

  it("Easter moves Good Friday; Victoria Day is the Monday before 25 May", () => {
    expect(easterSunday(2025)).toBe("2025-04-20");
    expect(easterSunday(2027)).toBe("2027-03-28");
    expect(bcHolidays(2027).get("2027-03-26")).toBe("Good Friday");
    expect(bcHolidays(2027).get("2027-05-24")).toBe("Victoria Day"); // 25 May 2027 is a Tuesday
    expect(bcHolidays(2021).get("2021-05-24")).toBe("Victoria Day"); // 25 May 2021 is a Tuesday
    expect(bcHolidays(2025).get("2025-05-19")).toBe("Victoria Day"); // 25 May 2025 is a Sunday
  });

  it("a fixed holiday on a weekend is observed on the next weekday; Truth and Reconciliation only from 2023", () => {
    expect(bcHolidays(2027).get("2027-12-27")).toBe("Christmas Day (observed)"); // 25 Dec 2027 is a Saturday
    expect(bcHolidays(2028).get("2028-01-03")).toBe("New Year's Day (observed)"); // 1 Jan 2028 is a Saturday
    expect(bcHolidays(2022).has("2022-09-30")).toBe(false);
    expect(bcHolidays(2023).get("2023-09-30")).toBe("National Day for Truth and Reconciliation"); // a Saturday
    expect(bcHolidays(2023).get("2023-10-02")).toBe("National Day for Truth and Reconciliation (observed)");
  });
});

describe("the ledger's effective date", () => {
  it("a business day stays; weekends move to Monday", () => {
    expect(isBusinessDay("2026-01-15")).toBe(true);
    expect(ledgerEffectiveDate("2026-01-15", null)).toBe("2026-01-15");
    expect(ledgerEffectiveDate("2026-01-17", null)).toBe("2026-01-19"); // Saturday
    expect(ledgerEffectiveDate("2026-01-18", null)).toBe("2026-01-19"); // Sunday
  });

  it("holidays move to the next business day, over weekends and chains of holidays", () => {
    expect(ledgerEffectiveDate("2026-12-25", null)).toBe("2026-12-28"); // Friday holiday, then a weekend
    expect(ledgerEffectiveDate("2026-04-03", null)).toBe("2026-04-06"); // Good Friday
    expect(ledgerEffectiveDate("2026-08-01", null)).toBe("2026-08-04"); // Saturday, Sunday, BC Day
    expect(nextBusinessDay("2027-12-25")).toBe("2027-12-28"); // Saturday, Sunday, observed Monday
  });

  it("never into a closed period: a date before the open-from date moves up to it (then to a business day)", () => {
    expect(ledgerEffectiveDate("2026-03-31", "2026-04-01")).toBe("2026-04-01");
    expect(ledgerEffectiveDate("2026-03-27", "2026-04-04")).toBe("2026-04-06"); // 4 April 2026 is a Saturday
    expect(ledgerEffectiveDate("2026-04-10", "2026-04-01")).toBe("2026-04-10");
  });

  it("the fiscal year follows the effective date across 1 April", () => {
    const effective = ledgerEffectiveDate("2028-03-31", null); // a Friday: stays
    expect(fiscalYear(effective)).toBe(2028);
    const moved = ledgerEffectiveDate("2029-03-31", null); // a Saturday: Monday 2 April
    expect(moved).toBe("2029-04-02");
    expect(fiscalYear(moved)).toBe(2030);
  });
});
