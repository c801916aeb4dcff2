/** Where webhooks may go and when they are retried (domain/webhookPolicy.ts). */
import { describe, expect, it } from "vitest";
import { MAX_ATTEMPTS, parseRetryAfter, retryDelaySeconds, webhookUrlProblem } from "../../src/domain/webhookPolicy.ts";

describe("webhook endpoint addresses", () => {
  it("https to a public host name is allowed everywhere", () => {
    expect(webhookUrlProblem("https://app.example.ca/paybc/events?x=1", "production")).toBeNull();
  });

  it.each([
    ["http://app.example.ca/events", "production", /https/],
    ["https://10.0.0.5/events", "production", /public host/],
    ["https://127.0.0.1/events", "staging", /public host/],
    ["https://169.254.169.254/latest/meta-data", "production", /public host/],
    ["https://192.168.1.10/", "production", /public host/],
    ["https://[::1]/", "production", /public host/],
    ["https://localhost/", "production", /public host/],
    ["https://user:pw@app.example.ca/", "production", /user name or password/],
    ["https://app.example.ca/#frag", "production", /fragment/],
    ["ftp://app.example.ca/", "production", /https/],
    ["not a url", "production", /absolute URL/],
    ["http://app.example.ca/events", "local", /localhost/],
  ])("%s in %s is refused", (url, environment, problem) => {
    expect(webhookUrlProblem(url, environment)).toMatch(problem);
  });

  it("plain http only to loopback, and only in the local environment", () => {
    expect(webhookUrlProblem("http://127.0.0.1:9000/hook", "local")).toBeNull();
    expect(webhookUrlProblem("http://localhost:9000/hook", "local")).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.1:9000/hook", "staging")).toMatch(/https/);
  });
});

describe("retries", () => {
  it("follow the schedule after the immediate first try, ten tries in all", () => {
    expect(Array.from({ length: 10 }, (_, i) => retryDelaySeconds(i + 1))).toEqual([
      5,
      300,
      1800,
      7200,
      18000,
      36000,
      50400,
      72000,
      86400,
      null,
    ]);
    expect(MAX_ATTEMPTS).toBe(10);
  });

  it("Retry-After in seconds or as an HTTP date, bounded to 24 hours; nonsense is ignored", () => {
    const now = new Date("2026-11-23T12:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Mon, 23 Nov 2026 12:10:00 GMT", now)).toBe(600);
    expect(parseRetryAfter("999999", now)).toBe(86400);
    expect(parseRetryAfter("0", now)).toBe(1);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
