import { expect, it } from "vitest";
import { findCardNumbers } from "./helpers/independent.ts";

it("scan heuristic", () => {
  expect(findCardNumbers('{"n":"4030000010001234"}')).toEqual(["4030000010001234"]);
  expect(findCardNumbers("card 4030 0000 1000 1234 ok")).toEqual(["4030000010001234"]);
  expect(findCardNumbers("4030-0000-1000-1234")).toEqual(["4030000010001234"]);
  expect(findCardNumbers("PBC385575127938823AB")).toEqual([]);
  expect(findCardNumbers("T00000A3F1763862400000")).toEqual([]);
  expect(findCardNumbers("371100001000131")).toEqual(["371100001000131"]);
});
