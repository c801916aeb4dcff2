import { describe, expect, it } from "vitest";
import {
  addDays,
  cutoffInstant,
  effectiveGlDate,
  fiscalYear,
  formatPacificTime,
  isValidDate,
  pacificDate,
  toPacific,
} from "../../src/domain/businessTime.ts";

// Instants are written in UTC. Pacific is UTC-8 in winter (PST) and UTC-7 in summer (PDT). The cases
// use 2025 and early 2026, whose offsets every tz database agrees on: workerd's newer data has British
// Columbia on UTC-7 all year from 8 March 2026, which the code follows because it asks the runtime.
describe("effective GL date around the 16:00 Pacific cut-off", () => {
  const cases: Array<[string, string, string, string, boolean]> = [
    // [description, requested glDate, paid at (UTC), expected glDate, after cut-off]
    ["winter 15:59 PST stays", "2026-01-15", "2026-01-15T23:59:00Z", "2026-01-15", false],
    ["winter 16:00 PST moves", "2026-01-15", "2026-01-16T00:00:00Z", "2026-01-16", true],
    ["summer 15:59 PDT stays", "2025-07-15", "2025-07-15T22:59:59Z", "2025-07-15", false],
    ["summer 16:00 PDT moves", "2025-07-15", "2025-07-15T23:00:00Z", "2025-07-16", true],
    ["month end after cut-off", "2026-04-30", "2026-04-30T23:30:00Z", "2026-05-01", true],
    ["month end before cut-off", "2026-04-30", "2026-04-30T22:30:00Z", "2026-04-30", false],
    ["February end (non-leap)", "2027-02-28", "2027-03-01T00:00:00Z", "2027-03-01", true],
    ["year end after cut-off", "2025-12-31", "2026-01-01T00:00:00Z", "2026-01-01", true],
    ["year end before cut-off", "2025-12-31", "2025-12-31T23:59:59Z", "2025-12-31", false],
    ["fiscal year end (31 March) after cut-off", "2025-03-31", "2025-03-31T23:00:00Z", "2025-04-01", true],
    ["fiscal year end (31 March) before cut-off", "2025-03-31", "2025-03-31T22:59:00Z", "2025-03-31", false],
    ["DST start day (8 March 2026) 16:00 PDT", "2026-03-08", "2026-03-08T23:00:00Z", "2026-03-09", true],
    ["DST start day 15:59 PDT", "2026-03-08", "2026-03-08T22:59:00Z", "2026-03-08", false],
    ["DST end day (2 November 2025) 16:00 PST", "2025-11-02", "2025-11-03T00:00:00Z", "2025-11-03", true],
    ["DST end day 15:59 PST", "2025-11-02", "2025-11-02T23:59:00Z", "2025-11-02", false],
    [
      "late evening Pacific is the next UTC day but still today's business day",
      "2026-06-10",
      "2026-06-11T03:00:00Z",
      "2026-06-11",
      true,
    ],
    ["a future GL date is kept", "2026-06-20", "2026-06-10T23:30:00Z", "2026-06-20", true],
  ];
  for (const [name, requested, paidAt, expected, afterCutoff] of cases) {
    it(name, () => {
      const result = effectiveGlDate(requested, new Date(paidAt));
      expect(result.glDate).toBe(expected);
      expect(result.afterCutoff).toBe(afterCutoff);
    });
  }

  it("records the business date the rule used", () => {
    expect(effectiveGlDate("2026-01-15", new Date("2026-01-16T01:00:00Z")).businessDate).toBe("2026-01-15");
  });

  it("the cut-off instant follows daylight saving, so the cron never needs editing", () => {
    expect(cutoffInstant("2026-01-15").toISOString()).toBe("2026-01-16T00:00:00.000Z");
    expect(cutoffInstant("2025-07-15").toISOString()).toBe("2025-07-15T23:00:00.000Z");
    expect(cutoffInstant("2026-03-08").toISOString()).toBe("2026-03-08T23:00:00.000Z");
    expect(cutoffInstant("2025-11-02").toISOString()).toBe("2025-11-03T00:00:00.000Z");
  });
});

describe("business dates", () => {
  it("today is the Pacific date, not the UTC date", () => {
    expect(pacificDate(new Date("2026-06-11T03:00:00Z"))).toBe("2026-06-10");
    expect(pacificDate(new Date("2026-01-01T07:59:00Z"))).toBe("2025-12-31");
    expect(pacificDate(new Date("2026-01-01T08:00:00Z"))).toBe("2026-01-01");
  });

  it("validates real calendar dates only", () => {
    expect(isValidDate("2028-02-29")).toBe(true);
    expect(isValidDate("2026-02-29")).toBe(false);
    expect(isValidDate("2026-13-01")).toBe(false);
    expect(isValidDate("2026-1-01")).toBe(false);
    expect(isValidDate("20260101")).toBe(false);
  });

  it("adds days across month and year ends", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
  });

  it("the fiscal year starts on 1 April", () => {
    expect(fiscalYear("2026-03-31")).toBe(2026);
    expect(fiscalYear("2026-04-01")).toBe(2027);
    expect(fiscalYear("2026-12-31")).toBe(2027);
  });
});

describe("Pacific times for people (formatPacificTime)", () => {
  it("shows the Pacific wall clock with its zone, to the minute or the second", () => {
    expect(formatPacificTime(new Date("2026-01-16T01:05:09Z"))).toBe("2026-01-15 17:05 PST");
    expect(formatPacificTime("2026-01-16T01:05:09.123Z", { seconds: true })).toBe("2026-01-15 17:05:09 PST");
    expect(formatPacificTime("2025-07-15T22:59:59Z")).toBe("2025-07-15 15:59 PDT");
  });

  it("follows the runtime's zone name and offset on both sides of a change, in the same hour's cache", () => {
    // 2 November 2025: 01:59:59 PDT, then 01:00 PST (09:00 UTC).
    expect(formatPacificTime("2025-11-02T08:59:59Z", { seconds: true })).toBe("2025-11-02 01:59:59 PDT");
    expect(formatPacificTime("2025-11-02T09:00:00Z", { seconds: true })).toBe("2025-11-02 01:00:00 PST");
    expect(formatPacificTime("2025-11-02T09:30:00Z")).toBe("2025-11-02 01:30 PST");
    // What the runtime says for any instant: the same wall clock and zone name as Intl's own.
    for (const iso of ["2026-03-08T09:59:00Z", "2026-03-08T10:00:00Z", "2026-11-30T12:00:00Z", "2027-01-15T12:00:00Z"]) {
      const local = toPacific(new Date(iso));
      const name = new Intl.DateTimeFormat("en-US", { timeZone: "America/Vancouver", timeZoneName: "short" })
        .formatToParts(new Date(iso))
        .find((p) => p.type === "timeZoneName")?.value;
      const hh = String(local.hour).padStart(2, "0");
      const mm = String(local.minute).padStart(2, "0");
      expect(formatPacificTime(iso)).toBe(`${local.date} ${hh}:${mm} ${name}`);
    }
  });

  it("refuses something that is not an instant", () => {
    expect(() => formatPacificTime("yesterday")).toThrow(RangeError);
  });
});
