import { describe, expect, it } from "vitest";
import { maskEmail } from "../src/domain/email.ts";
import { nextPostingRun } from "../src/services/paymentHistory.ts";

describe("when support staff are told a line will be posted", () => {
  it("is the first nightly run (09:00 UTC) after the GL date's 16:00 Pacific cut-off and its grace", () => {
    // Cut-off 2025-11-28 16:00 PST = 2025-11-29T00:00Z, plus 30 minutes: the 09:00 UTC run that day.
    expect(nextPostingRun("2025-11-28", new Date("2025-11-28T20:00:00Z")).toISOString()).toBe("2025-11-29T09:00:00.000Z");
    // A GL date ahead waits for its own cut-off.
    expect(nextPostingRun("2025-12-05", new Date("2025-11-28T20:00:00Z")).toISOString()).toBe("2025-12-06T09:00:00.000Z");
  });

  it("is never in the past: a due line not posted yet goes with the next run", () => {
    expect(nextPostingRun("2025-11-28", new Date("2025-11-29T09:00:01Z")).toISOString()).toBe("2025-11-30T09:00:00.000Z");
    expect(nextPostingRun("2025-11-01", new Date("2025-11-29T08:59:00Z")).toISOString()).toBe("2025-11-29T09:00:00.000Z");
  });
});

describe("a receipt address as support staff see it", () => {
  it("keeps the first character and the domain only", () => {
    expect(maskEmail("jane.doe@example.com")).toBe("j***@example.com");
    expect(maskEmail("x@gov.bc.ca")).toBe("x***@gov.bc.ca");
    expect(maskEmail("not-an-address")).toBe("***");
  });
});
