/**
 * Ledger business days and the effective date of a journal. The ledger takes journals dated on a
 * business day of an open period: a GL date on a weekend or a BC statutory holiday moves to the next
 * business day, and a GL date before the first open day (GL_OPEN_FROM) moves up to it, since the
 * ledger rejects a closed-period date ("GL Effective Date on the JV Detail is not within an open or
 * future period"). Dates are yyyy-MM-dd; arithmetic on UTC midnights (businessTime.ts).
 */
import { addDays, isValidDate } from "./businessTime.ts";

type HolidayRule =
  /** The same calendar day every year. */
  | { kind: "fixed"; month: number; day: number }
  /** The nth (1-based) given weekday (0 Sunday ... 6 Saturday) of a month. */
  | { kind: "nth-weekday"; month: number; weekday: number; nth: number }
  /** The last given weekday strictly before a day of the month (Victoria Day: the Monday before 25 May). */
  | { kind: "weekday-before"; month: number; day: number; weekday: number }
  /** Days from Easter Sunday (Good Friday is -2). */
  | { kind: "easter"; offset: number };

export interface HolidayEntry {
  name: string;
  rule: HolidayRule;
  /** First year the holiday applies (Truth and Reconciliation Day became a BC statutory holiday in 2023). */
  since?: number;
  /**
   * A fixed-date holiday on a weekend is observed on the next weekday that is not itself a holiday
   * (as the BC public service closes): the ledger team is not working that day either.
   */
  observedOnWeekday?: boolean;
}

/** BC statutory holidays (Employment Standards Act), as a table of rules valid for any year. */
export const BC_STATUTORY_HOLIDAYS: readonly HolidayEntry[] = [
  { name: "New Year's Day", rule: { kind: "fixed", month: 1, day: 1 }, observedOnWeekday: true },
  { name: "Family Day", rule: { kind: "nth-weekday", month: 2, weekday: 1, nth: 3 } },
  { name: "Good Friday", rule: { kind: "easter", offset: -2 } },
  { name: "Victoria Day", rule: { kind: "weekday-before", month: 5, day: 25, weekday: 1 } },
  { name: "Canada Day", rule: { kind: "fixed", month: 7, day: 1 }, observedOnWeekday: true },
  { name: "British Columbia Day", rule: { kind: "nth-weekday", month: 8, weekday: 1, nth: 1 } },
  { name: "Labour Day", rule: { kind: "nth-weekday", month: 9, weekday: 1, nth: 1 } },
  {
    name: "National Day for Truth and Reconciliation",
    rule: { kind: "fixed", month: 9, day: 30 },
    since: 2023,
    observedOnWeekday: true,
  },
  { name: "Thanksgiving Day", rule: { kind: "nth-weekday", month: 10, weekday: 1, nth: 2 } },
  { name: "Remembrance Day", rule: { kind: "fixed", month: 11, day: 11 }, observedOnWeekday: true },
  { name: "Christmas Day", rule: { kind: "fixed", month: 12, day: 25 }, observedOnWeekday: true },
];

const pad = (value: number) => String(value).padStart(2, "0");
const iso = (year: number, month: number, day: number) => `${year}-${pad(month)}-${pad(day)}`;

function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Easter Sunday (Gregorian), by the anonymous Gregorian algorithm. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return iso(year, month, day);
}

function ruleDate(rule: HolidayRule, year: number): string {
  switch (rule.kind) {
    case "fixed":
      return iso(year, rule.month, rule.day);
    case "nth-weekday": {
      const first = iso(year, rule.month, 1);
      const shift = (rule.weekday - weekdayOf(first) + 7) % 7;
      return addDays(first, shift + 7 * (rule.nth - 1));
    }
    case "weekday-before": {
      let date = addDays(iso(year, rule.month, rule.day), -1);
      while (weekdayOf(date) !== rule.weekday) date = addDays(date, -1);
      return date;
    }
    case "easter":
      return addDays(easterSunday(year), rule.offset);
  }
}

const yearCache = new Map<number, ReadonlyMap<string, string>>();

/** The year's holidays and observed days: date -> name. */
export function bcHolidays(year: number): ReadonlyMap<string, string> {
  const cached = yearCache.get(year);
  if (cached) return cached;
  const days = new Map<string, string>();
  const entries = BC_STATUTORY_HOLIDAYS.filter((entry) => entry.since === undefined || year >= entry.since);
  for (const entry of entries) days.set(ruleDate(entry.rule, year), entry.name);
  // Observed days after the actual ones, so an observed day never lands on another holiday.
  for (const entry of entries) {
    if (!entry.observedOnWeekday) continue;
    const actual = ruleDate(entry.rule, year);
    if (weekdayOf(actual) !== 0 && weekdayOf(actual) !== 6) continue;
    let observed = addDays(actual, 1);
    while (weekdayOf(observed) === 0 || weekdayOf(observed) === 6 || days.has(observed)) observed = addDays(observed, 1);
    days.set(observed, `${entry.name} (observed)`);
  }
  yearCache.set(year, days);
  return days;
}

export function holidayName(date: string): string | null {
  return bcHolidays(Number(date.slice(0, 4))).get(date) ?? null;
}

export function isBusinessDay(date: string): boolean {
  const weekday = weekdayOf(date);
  return weekday !== 0 && weekday !== 6 && holidayName(date) === null;
}

/** The date itself when it is a business day, else the next one. */
export function nextBusinessDay(date: string): string {
  if (!isValidDate(date)) throw new RangeError(`not a date: ${date}`);
  let day = date;
  while (!isBusinessDay(day)) day = addDays(day, 1);
  return day;
}

/**
 * The effective date the ledger books a journal on: the GL date, raised to the first open day
 * (`openFrom`, when configured) and then moved to the next business day. The feeder file's fiscal
 * year follows this date.
 */
export function ledgerEffectiveDate(glDate: string, openFrom: string | null): string {
  if (openFrom !== null && !isValidDate(openFrom)) throw new RangeError(`not a date: ${openFrom}`);
  const floor = openFrom !== null && openFrom > glDate ? openFrom : glDate;
  return nextBusinessDay(floor);
}
