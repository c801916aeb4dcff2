import { describe, expect, it } from "vitest";
import { splitSignedQuery, verifyRequestSignature } from "../../src/domain/signature.ts";
import { md5, pyUnquotePlus, pyUrlencode } from "../helpers/independent.ts";

const KEY = "secret-api-key";
const pairs: Array<[string, string]> = [
  ["trnDate", "2026-11-23"],
  ["pbcRefNumber", "10006"],
  ["description", "Direct Sale & more"],
  ["redirectUri", "https://localhost:7002/index.html"],
  ["revenue", "1:039.18ACE.14691.8928.1800000.000000.0000:10.00"],
];

async function verify(query: string, keys = [KEY]): Promise<number> {
  const split = splitSignedQuery(query);
  if (!split.ok) throw new Error(split.problem);
  return (await verifyRequestSignature(split.signedPart, split.hashValue, keys))?.index ?? -1;
}

describe("request signature (hashValue)", () => {
  it("accepts md5 over the query string exactly as received", async () => {
    const signed = pyUrlencode(pairs);
    expect(await verify(`${signed}&hashValue=${await md5(signed + KEY)}`)).toBe(0);
  });

  it("accepts md5 over the decoded query string (deployed Python client)", async () => {
    const signed = pyUrlencode(pairs);
    expect(await verify(`${signed}&hashValue=${await md5(pyUnquotePlus(signed) + KEY)}`)).toBe(0);
  });

  it("accepts upper-case hex", async () => {
    const signed = pyUrlencode(pairs);
    expect(await verify(`${signed}&hashValue=${(await md5(signed + KEY)).toUpperCase()}`)).toBe(0);
  });

  it("rejects the request when any covered parameter changes", async () => {
    const signed = pyUrlencode(pairs);
    const hash = await md5(signed + KEY);
    for (const [index] of pairs.entries()) {
      const tampered = pairs.map(([k, v], i) => [k, i === index ? `${v}1` : v] as [string, string]);
      expect(await verify(`${pyUrlencode(tampered)}&hashValue=${hash}`)).toBe(-1);
    }
    expect(await verify(`${signed}&hashValue=${hash}`, ["another-key"])).toBe(-1);
  });

  it("matches the second key while a rotated key is in its grace period", async () => {
    const signed = pyUrlencode(pairs);
    expect(await verify(`${signed}&hashValue=${await md5(signed + KEY)}`, ["new-key", KEY])).toBe(1);
  });

  it("refuses parameters after hashValue, a missing hash, and a repeated hash", () => {
    expect(splitSignedQuery("a=1&hashValue=abc&trnAmount=1.00")).toMatchObject({ ok: false });
    expect(splitSignedQuery("a=1&b=2")).toMatchObject({ ok: false });
    expect(splitSignedQuery("hashValue=abc&a=1")).toMatchObject({ ok: false });
    expect(splitSignedQuery("a=1&hashValue=abc&hashValue=abc")).toMatchObject({ ok: false });
    expect(splitSignedQuery("a=1&hashValue=abc")).toEqual({ ok: true, signedPart: "a=1", hashValue: "abc" });
  });

  it("rejects malformed hash values without throwing", async () => {
    expect(await verify("a=1&hashValue=not-hex")).toBe(-1);
    expect(await verify("a=1&hashValue=%ZZ")).toBe(-1);
  });
});
