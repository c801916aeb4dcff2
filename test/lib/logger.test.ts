import { describe, expect, it } from "vitest";
import { createLogger, maskDigits } from "../../src/lib/logger.ts";

describe("structured logs", () => {
  it("mask anything that could be a card number, however it is grouped", () => {
    for (const card of ["4030000010001234", "4030 0000 1000 1234", "4030-0000-1000-1234", "371100001000131"]) {
      expect(maskDigits(`{"note":"${card}"}`)).toBe('{"note":"[card number removed]"}');
    }
  });

  it("keep request ids, digests and other numbers readable", () => {
    const id = "f2fa0419-8234-4cb0-b3f4-22bdb9e5a2c1";
    expect(maskDigits(id)).toBe(id);
    expect(maskDigits("PBC3855751279388230AB")).toBe("PBC3855751279388230AB");
    expect(maskDigits("4030000010001235")).toBe("4030000010001235"); // fails Luhn
  });

  it("write one JSON object a line with the request id", () => {
    const lines: string[] = [];
    createLogger("req-1", (line) => lines.push(line)).info("paid", { lastFour: "1234", card: "4030000010001234" });
    const entry = JSON.parse(lines[0] as string);
    expect(entry).toMatchObject({
      level: "info",
      requestId: "req-1",
      message: "paid",
      lastFour: "1234",
      card: "[card number removed]",
    });
  });
});
