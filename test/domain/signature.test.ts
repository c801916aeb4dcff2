import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signatureHex, signedParameters, splitSignedQuery, verifyRequestSignature } from "../../src/domain/signature.ts";
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

describe("the parameters used are exactly those the signature covers (property)", () => {
  // Values rich in the characters that matter: structure ("&", "="), encoding ("%", "+") and space.
  const value = fc
    .array(
      fc.constantFrom("a", "Z", "1", " ", "&", "=", "%", "+", ":", "|", ".", "é", "trnAmount", "&trnAmount=", "%26", "%3D"),
      {
        maxLength: 8,
      },
    )
    .map((parts) => parts.join(""));
  const request = fc.tuple(value, value, value).map(
    ([description, ref1, ref2]) =>
      [
        ["pbcRefNumber", "10006"],
        ["description", description],
        ["trnAmount", "100.00"],
        ["ref2", ref2],
        ["revenue", "1:039.18ACE.14691.8928.1800000.000000.0000:100.00"],
        ["ref1", ref1],
      ] as Array<[string, string]>,
  );
  /** Swap raw "&"/"=" for %26/%3D (either case) and back at chosen places: the decoded text is unchanged. */
  function mutate(query: string, choices: boolean[], upper: boolean): string {
    let i = 0;
    return query.replace(/&|=|%26|%3D/gi, (token) => {
      if (!choices[i++ % Math.max(choices.length, 1)]) return token;
      if (token === "&") return upper ? "%26" : "%26".toLowerCase();
      if (token === "=") return upper ? "%3D" : "%3d";
      return token.toLowerCase() === "%26" ? "&" : "=";
    });
  }

  it("every accepted request parses to the verified text's parameters, and tampering never changes the money", async () => {
    await fc.assert(
      fc.asyncProperty(
        request,
        fc.boolean(),
        fc.array(fc.boolean(), { maxLength: 12 }),
        fc.boolean(),
        async (pairs, decodedSigner, choices, upper) => {
          const query = pyUrlencode(pairs);
          const hash = await md5((decodedSigner ? pyUnquotePlus(query) : query) + KEY);
          const sent = mutate(query, choices, upper);
          const verified = await verifyRequestSignature(sent, hash, [KEY]);
          if (verified === null) return; // refused: nothing used
          const covered = signedParameters(sent, verified.form);
          if (!covered.ok) return; // refused: nothing used
          // The parameters read the verified bytes back exactly.
          if (verified.form === "decoded") {
            expect(covered.pairs.map(([k, v]) => `${k}=${v}`).join("&")).toBe(pyUnquotePlus(sent));
          } else {
            expect(sent).toBe(query);
          }
          // And whatever the tampering, money given once (a repeated parameter is refused by
          // validation) is what the signer signed.
          for (const name of ["trnAmount", "revenue"]) {
            const given = covered.pairs.filter(([k]) => k === name);
            if (given.length === 1) expect(given).toEqual(pairs.filter(([k]) => k === name));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a legitimately encoded '&' in a value is accepted as sent", async () => {
    const pairs: Array<[string, string]> = [
      ["description", "Fees & charges = total"],
      ["trnAmount", "100.00"],
    ];
    const query = pyUrlencode(pairs);
    const verified = await verifyRequestSignature(query, await md5(pyUnquotePlus(query) + KEY), [KEY]);
    expect(verified?.form).toBe("decoded");
    expect(signedParameters(query, "decoded")).toEqual({ ok: true, pairs });
  });
});

describe("the README's worked signing examples", () => {
  const signedPart =
    "trnDate=2026-11-23&pbcRefNumber=10006&glDate=2026-11-23&description=Direct+Sale&pbcTxnNumber=EZ000101&trnAmount=100.00&paymentMethod=CC&currency=CAD&redirectUri=http%3A%2F%2Flocalhost%3A7002%2Findex.html&revenue=1%3A039.18ACE.14691.8928.1800000.000000.0000%3A100.00";
  const key = "demo-api-key-10006";

  it("MD5 and HMAC-SHA256 give the documented hashValues, and each verifies only under its own algorithm", async () => {
    const md5Value = "e2891644c1cd0895d70e71bd772edf09";
    const hmacValue = "dd42a8f58e4e121733395fdbb1f44c6df62ad0852dff51838a6dedde980bb230";
    expect(await signatureHex("MD5", signedPart, key)).toBe(md5Value);
    expect(await signatureHex("HMAC-SHA256", signedPart, key)).toBe(hmacValue);
    expect(await verifyRequestSignature(signedPart, hmacValue, [key], "HMAC-SHA256")).toEqual({ index: 0, form: "raw" });
    expect(await verifyRequestSignature(signedPart, md5Value, [key], "HMAC-SHA256")).toBeNull();
    expect(await verifyRequestSignature(signedPart, hmacValue, [key], "MD5")).toBeNull();
  });
});
