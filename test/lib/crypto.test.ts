import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "../../src/lib/crypto.ts";
import { base64UrlToBytes, bytesToBase64, bytesToBase64Url, bytesToHex, hexToBytes } from "../../src/lib/encoding.ts";

describe("base64url", () => {
  it("matches btoa's alphabet swapped and unpadded, and decodes back, for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const reference = btoa(String.fromCharCode(...bytes))
          .replaceAll("+", "-")
          .replaceAll("/", "_")
          .replace(/=+$/, "");
        const encoded = bytesToBase64Url(bytes);
        expect(encoded).toBe(reference);
        expect([...base64UrlToBytes(encoded)]).toEqual([...bytes]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("hex and base64", () => {
  it("hex round-trips any bytes in lower case; base64 matches btoa", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const hex = bytesToHex(bytes);
        expect(hex).toMatch(/^(?:[0-9a-f]{2})*$/);
        expect([...hexToBytes(hex)]).toEqual([...bytes]);
        expect([...hexToBytes(hex.toUpperCase())]).toEqual([...bytes]);
        expect(bytesToBase64(bytes)).toBe(btoa(String.fromCharCode(...bytes)));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses text that is not hex", () => {
    for (const bad of ["a", "zz", "0g", "12 3"]) expect(() => hexToBytes(bad)).toThrow(RangeError);
  });
});

const KEY = btoa("0123456789abcdef0123456789abcdef");
const OTHER_KEY = btoa("fedcba9876543210fedcba9876543210");

describe("sealed secrets", () => {
  it("decrypt what was encrypted, again and again (the second time from the per-isolate cache)", async () => {
    const sealed = await encryptSecret(KEY, "partner-api-key-1", "partner-api-key:10006");
    expect(await decryptSecret(KEY, sealed, "partner-api-key:10006")).toBe("partner-api-key-1");
    expect(await decryptSecret(KEY, sealed, "partner-api-key:10006")).toBe("partner-api-key-1");
  });

  it("still refuse the wrong key or the wrong context after a successful decryption", async () => {
    const sealed = await encryptSecret(KEY, "partner-api-key-2", "partner-api-key:10006");
    expect(await decryptSecret(KEY, sealed, "partner-api-key:10006")).toBe("partner-api-key-2");
    await expect(decryptSecret(OTHER_KEY, sealed, "partner-api-key:10006")).rejects.toThrow();
    await expect(decryptSecret(KEY, sealed, "partner-api-key:20006")).rejects.toThrow();
  });

  it("refuse a tampered ciphertext", async () => {
    const sealed = await encryptSecret(KEY, "partner-api-key-3", "partner-api-key:10006");
    const [version, iv, ciphertext] = sealed.split(".") as [string, string, string];
    const flipped = `${version}.${iv}.${ciphertext.startsWith("A") ? "B" : "A"}${ciphertext.slice(1)}`;
    await expect(decryptSecret(KEY, flipped, "partner-api-key:10006")).rejects.toThrow();
  });
});
