/**
 * Business time is America/Vancouver (Pacific, with daylight saving). Dates are yyyy-MM-dd strings;
 * calendar arithmetic is done on UTC midnights so it never depends on the host's time zone.
 */

export const BUSINESS_TIME_ZONE = "America/Vancouver";
/** Day-end cut-off, Pacific wall-clock time: a payment at or after 16:00 belongs to the next day. */
export const GL_CUTOFF_HOUR = 16;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const pacificFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: BUSINESS_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

export interface PacificDateTime {
  date: string;
  hour: number;
  minute: number;
  second: number;
}

export function toPacific(instant: Date): PacificDateTime {
  const parts: Record<string, string> = {};
  for (const part of pacificFormat.formatToParts(instant)) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

const zoneNameFormat = new Intl.DateTimeFormat("en-US", { timeZone: BUSINESS_TIME_ZONE, timeZoneName: "short" });

interface HourZone {
  /** Pacific wall clock minus UTC, in milliseconds. */
  offsetMs: number;
  /** The zone's short name then (PST, PDT), as the runtime's tz data has it. */
  name: string;
}

const HOUR_MS = 3_600_000;
const hourZones = new Map<number, HourZone>();

/**
 * The zone in force during one UTC hour. Vancouver's offset only ever changes on a whole UTC hour
 * (02:00 local), so one Intl lookup serves every instant of that hour: a million-row detail file
 * written in one night costs a handful of lookups, not a million.
 */
function zoneOfHour(ms: number): HourZone {
  const hour = Math.floor(ms / HOUR_MS);
  let zone = hourZones.get(hour);
  if (zone === undefined) {
    const at = new Date(hour * HOUR_MS);
    const local = toPacific(at);
    const [year, month, day] = local.date.split("-").map(Number) as [number, number, number];
    const wall = Date.UTC(year, month - 1, day, local.hour, local.minute, local.second);
    const name = zoneNameFormat.formatToParts(at).find((part) => part.type === "timeZoneName")?.value ?? "Pacific";
    zone = { offsetMs: wall - at.getTime(), name };
    if (hourZones.size >= 10_000) hourZones.clear();
    hourZones.set(hour, zone);
  }
  return zone;
}

/** PST or PDT (whatever the runtime's tz data calls the zone at that instant). */
export function pacificZoneName(instant: Date): string {
  return zoneOfHour(instant.getTime()).name;
}

/**
 * An instant as people in the business read it: Pacific wall clock with the zone,
 * "2026-11-30 17:05 PST" (with `seconds`, "2026-11-30 17:05:09 PST"). The one formatter for
 * finance pages and files; APIs keep ISO 8601 UTC. An ISO string is read as an instant.
 */
export function formatPacificTime(instant: Date | string, options: { seconds?: boolean } = {}): string {
  const ms = typeof instant === "string" ? Date.parse(instant) : instant.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${String(instant)}`);
  const zone = zoneOfHour(ms);
  const wall = new Date(ms + zone.offsetMs).toISOString();
  return `${wall.slice(0, 10)} ${wall.slice(11, options.seconds ? 19 : 16)} ${zone.name}`;
}

export function pacificDate(instant: Date): string {
  return toPacific(instant).date;
}

export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** A real calendar date in yyyy-MM-dd form (2026-02-30 is not). */
export function isValidDate(text: string): boolean {
  const match = DATE_PATTERN.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

export function addDays(date: string, days: number): string {
  const match = DATE_PATTERN.exec(date);
  if (!match) throw new RangeError(`not a date: ${date}`);
  const probe = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days));
  return probe.toISOString().slice(0, 10);
}

/** The UTC instant of a Pacific wall-clock hour on a date (DST changes happen at 02:00, never at the cut-off). */
export function pacificInstant(date: string, hour: number): Date {
  const match = DATE_PATTERN.exec(date);
  if (!match) throw new RangeError(`not a date: ${date}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  for (const offsetHours of [8, 7]) {
    const candidate = new Date(Date.UTC(year, month, day, hour + offsetHours));
    const local = toPacific(candidate);
    if (local.date === date && local.hour === hour) return candidate;
  }
  throw new RangeError(`no ${hour}:00 on ${date} in ${BUSINESS_TIME_ZONE}`);
}

/** When the cut-off of a business day passes. */
export function cutoffInstant(date: string): Date {
  return pacificInstant(date, GL_CUTOFF_HOUR);
}

export interface EffectiveGlDate {
  /** The GL date the revenue is posted with. */
  glDate: string;
  /** Pacific calendar date of the payment. */
  businessDate: string;
  /** True when the payment was made at or after the 16:00 cut-off. */
  afterCutoff: boolean;
}

/**
 * GL processing logic of the contract: a payment after the 16:00 Pacific cut-off is posted with the
 * next day's GL date (the same at month end and year end); a requested GL date that is still
 * ahead of that is kept.
 */
export function effectiveGlDate(requestedGlDate: string, paidAt: Date): EffectiveGlDate {
  const local = toPacific(paidAt);
  const afterCutoff = local.hour >= GL_CUTOFF_HOUR;
  const earliest = afterCutoff ? addDays(local.date, 1) : local.date;
  return {
    glDate: requestedGlDate > earliest ? requestedGlDate : earliest,
    businessDate: local.date,
    afterCutoff,
  };
}

/** BC government fiscal year: starts 1 April, named by the calendar year it ends in. */
export function fiscalYear(date: string): number {
  const match = DATE_PATTERN.exec(date);
  if (!match) throw new RangeError(`not a date: ${date}`);
  const year = Number(match[1]);
  return Number(match[2]) > 3 ? year + 1 : year;
}

/**
 * The latest GL date a request may ask for: the last day of the next fiscal period (BC government
 * periods are calendar months). Further ahead, money would sit unposted for months, or forever
 * (9999-12-31): a partner posting to a future period asks for it in that period.
 */
export function latestRequestableGlDate(today: string): string {
  const match = DATE_PATTERN.exec(today);
  if (!match) throw new RangeError(`not a date: ${today}`);
  // Day 0 of the month after next is the last day of the next month.
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) + 1, 0)).toISOString().slice(0, 10);
}
