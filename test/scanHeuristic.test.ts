import { expect, it } from "vitest";
import { findCardNumbers } from "./helpers/independent.ts";

it("scan heuristic", () => {
  expect(findCardNumbers('{"n":"4030000010001234"}')).toEqual(["4030000010001234"]);
  expect(findCardNumbers("card 4030 0000 1000 1234 ok")).toEqual(["4030000010001234"]);
  expect(findCardNumbers("4030-0000-1000-1234")).toEqual(["4030000010001234"]);
  expect(findCardNumbers("PBC385575127938823AB")).toEqual([]);
  expect(findCardNumbers("T00000A3F1763862400000")).toEqual([]);
  expect(findCardNumbers("371100001000131")).toEqual(["371100001000131"]);
  // A ledger file name's time stamp that happens to pass Luhn is not a card; the same digits alone would be.
  expect(findCardNumbers("20261202013904")).toEqual(["20261202013904"]);
  expect(findCardNumbers("journals/2026-12-02/10006/001/INBOX.F3535.20261202013904.TRG")).toEqual([]);
  expect(findCardNumbers('"fileName":"FEEDBACK.F3535.20261202013904"')).toEqual([]);
  expect(findCardNumbers("F3535 4030000010001234")).toEqual(["4030000010001234"]);
});
