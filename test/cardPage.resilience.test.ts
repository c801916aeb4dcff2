import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { SCRIPT_INVENTORY } from "../src/assets/inventory.ts";
import worker from "../src/index.ts";
import { getPayment, token } from "./helpers/api.ts";
import { findCardNumbers, pythonClientVerifies, responseParams } from "./helpers/independent.ts";
import { BASE, get, openPayment, payWith, post, seedPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";

async function attemptOf(cardPath: string) {
  const externalId = cardPath.split("/").pop();
  return env.DB.prepare("SELECT * FROM payment_attempts WHERE external_id = ?").bind(externalId).first<Record<string, unknown>>();
}

describe("state enforcer", () => {
  it("refresh after a decline shows the declined page with a signed way back, never the form", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    await payWith(payment, { cardNumber: "4003050500040005" });
    const page = await (await get(payment.cardPath, payment.cookie)).text();
    expect(page).toContain("Your payment was declined");
    expect(page).not.toContain('name="cardNumber"');
    const back = await get(`${payment.cardPath}/return`, payment.cookie);
    const location = back.headers.get("Location") as string;
    expect(responseParams(location).get("messageText")).toBe("Declined");
    expect(await pythonClientVerifies(location, partner.apiKey)).toBe(true);
  });

  it("a second submission after paying is never charged again", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    await payWith(payment);
    const again = await payWith(payment);
    expect(again.status).toBe(303);
    expect(again.headers.get("Location")).toBe(payment.cardPath);
    const calls = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payment_events WHERE event_type = 'authorisation_started' AND pbc_txn_number = ?",
    )
      .bind(payment.pbcTxnNumber)
      .first<{ n: number }>();
    expect(calls?.n).toBe(1);
  });

  it("an unknown outcome (processor timeout) shows a self-refreshing waiting page, never a decline", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const payment = await openPayment(partner);
    const response = await payWith(payment, { cardNumber: "4872385877270993" });
    expect(response.headers.get("Location")).toBe(payment.cardPath);
    const waiting = await (await get(payment.cardPath, payment.cookie)).text();
    expect(waiting).toContain("Checking your card details");
    // No meta refresh (WCAG 2.2.1): an inventoried script polls the status; a link does it without script.
    expect(waiting).not.toContain('http-equiv="refresh"');
    expect(waiting).toContain('src="/public/assets/waiting.js"');
    expect(waiting).toContain(`data-status-url="${payment.cardPath}/status"`);
    expect(await (await get(`${payment.cardPath}/status`, payment.cookie)).json()).toEqual({ done: false });
    expect((await get(`${payment.cardPath}/status`)).status).toBe(404);
    const status = (await (await getPayment(await token(partner), partner.pbcRefNumber, payment.pbcTxnNumber)).json()) as {
      paymentStatus: string;
    };
    expect(status.paymentStatus).toBe("PNDNG");
    // Still unknown to the processor two minutes later: nothing was taken, the person may try again.
    await env.DB.prepare("UPDATE payment_attempts SET updated_at = ? WHERE external_id = ?")
      .bind(new Date(Date.now() - 3 * 60_000).toISOString(), payment.cardPath.split("/").pop())
      .run();
    expect(await (await get(`${payment.cardPath}/status`, payment.cookie)).json()).toEqual({ done: true });
    const resolved = await (await get(payment.cardPath, payment.cookie)).text();
    expect(resolved).toContain("no money has been taken");
    expect(resolved).toContain('name="cardNumber"');
    const approved = await payWith({ ...payment, csrfToken: /name="csrfToken" value="([^"]+)"/.exec(resolved)?.[1] ?? "" });
    expect(responseParams(approved.headers.get("Location") as string).get("trnApproved")).toBe("1");
  });
});

describe("expiry", () => {
  it("an expired payment says so and offers a signed Expired return", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    await env.DB.prepare("UPDATE payment_attempts SET expires_at = ? WHERE external_id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), payment.cardPath.split("/").pop())
      .run();
    const page = await (await get(payment.cardPath, payment.cookie)).text();
    expect(page).toContain("Your payment session has expired");
    const pay = await payWith(payment);
    expect(pay.headers.get("Location")).toBe(payment.cardPath);
    const back = await get(`${payment.cardPath}/return`, payment.cookie);
    const location = back.headers.get("Location") as string;
    expect(responseParams(location).get("messageText")).toBe("Expired");
    expect(responseParams(location).get("trnApproved")).toBe("0");
    expect(await pythonClientVerifies(location, partner.apiKey)).toBe(true);
  });

  it("the scheduled sweep expires abandoned payments", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now() + 31 * 60_000, cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const attempt = await attemptOf(payment.cardPath);
    expect(attempt?.state).toBe("EXPIRED");
    const events = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payment_events WHERE event_type = 'expired' AND pbc_txn_number = ?",
    )
      .bind(payment.pbcTxnNumber)
      .first<{ n: number }>();
    expect(events?.n).toBe(1);
  });
});

describe("card testing defences", () => {
  it("locks a payment after three declines and says so clearly", async () => {
    const partner = await seedPartner();
    const first = await openPayment(partner);
    let location = "";
    let last = first;
    for (let i = 0; i < 3; i++) {
      last = i === 0 ? first : await openPayment(partner, { pbcTxnNumber: first.pbcTxnNumber });
      location = (await payWith(last, { cardNumber: "4003050500040005" })).headers.get("Location") as string;
    }
    expect(responseParams(location).get("messageText")).toBe("Declined");
    const lockedPage = await get(last.cardPath, last.cookie);
    expect(await lockedPage.text()).toContain("We could not take your payment");
    // The transaction is locked: a new request for it gets a signed validation error, no card page.
    const { pythonClientQuery } = await import("./helpers/independent.ts");
    const { directSalePairs } = await import("./helpers/portal.ts");
    const again = await get(
      `/public/directsale?${await pythonClientQuery(directSalePairs(partner, { pbcTxnNumber: first.pbcTxnNumber }), partner.apiKey)}`,
    );
    const refused = again.headers.get("Location") as string;
    expect(responseParams(refused).get("pbcTxnNumber")).toContain("locked after too many declined attempts");
    expect(await pythonClientVerifies(refused, partner.apiKey)).toBe(true);
  });

  it("rate-limits card submissions per client address with a clear page", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const statuses: number[] = [];
    // 20 a minute in fixed windows: 41 tries put at least 21 in one window even when the run
    // straddles a window's end (25 tries could split 10 + 15 and never be refused).
    for (let i = 0; i < 41; i++) {
      const response = await post(
        payment.cardPath,
        { csrfToken: payment.csrfToken, cardNumber: "1" },
        payment.cookie,
        "198.51.100.7",
      );
      statuses.push(response.status);
      if (response.status === 429) {
        expect(await response.text()).toContain("Too many payment attempts");
        break;
      }
    }
    expect(statuses).toContain(429);
  });
});

describe("page security", () => {
  it("a card number typed in the name or expiry box is never shown back", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const response = await post(
      payment.cardPath,
      {
        csrfToken: payment.csrfToken,
        cardNumber: "",
        expiryMonth: "12",
        expiryYear: "4030 0000 1000 1234",
        cardholderName: "Pat 4030-0000-1000-1234",
        securityCode: "123",
      },
      payment.cookie,
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("Enter the name as it appears on the card, not the card number");
    expect(html).not.toMatch(/4030[ -]?0000[ -]?1000[ -]?1234/);
    expect(findCardNumbers(html)).toEqual([]);
  });

  it("every script on the card page is inventoried with its SHA-256, and no inline script exists", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const scripts = [...payment.html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(body?.trim(), "inline script").toBe("");
      const src = /src="([^"]+)"/.exec(attributes ?? "")?.[1] as string;
      const listed = SCRIPT_INVENTORY.find((entry) => entry.path === src);
      expect(listed, `script ${src} is not in the inventory`).toBeDefined();
      const served = await (await exports.default.fetch(`${BASE}${src}`)).arrayBuffer();
      const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", served))]
        .map((b) => b.toString(16).padStart(2, "0"))
        .join("");
      expect(digest, `script ${src} changed: review it and update src/assets/inventory.ts`).toBe(listed?.sha256);
    }
  });

  it("the card page's CSP uses a nonce and allows forms to post only to the portal and the partner", async () => {
    const partner = await seedPartner();
    const start = await openPayment(partner);
    const response = await get(start.cardPath, start.cookie);
    const csp = response.headers.get("Content-Security-Policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(await response.text()).toContain(`nonce="${nonce}"`);
    expect(csp).toContain("form-action 'self' http://localhost:7002");
    const other = await get(start.cardPath, start.cookie);
    expect(other.headers.get("Content-Security-Policy")).not.toContain(`nonce-${nonce}`);
  });

  it("the session cookie is Secure, HttpOnly, SameSite and scoped to the payment", async () => {
    const partner = await seedPartner();
    const { pythonClientQuery } = await import("./helpers/independent.ts");
    const { directSalePairs } = await import("./helpers/portal.ts");
    const start = await get(`/public/directsale?${await pythonClientQuery(directSalePairs(partner), partner.apiKey)}`);
    const entry = await get(start.headers.get("Location") as string);
    const cookie = entry.headers.get("Set-Cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toContain(`Path=${entry.headers.get("Location")}`);
  });

  it("records CSP violation reports", async () => {
    const report = {
      "csp-report": {
        "document-uri": "https://pay.example/public/card/abc?x=secret",
        "violated-directive": "script-src",
        "blocked-uri": "https://evil.example/x.js",
      },
    };
    const response = await exports.default.fetch(`${BASE}/public/csp-report`, {
      method: "POST",
      headers: { "Content-Type": "application/csp-report" },
      body: JSON.stringify(report),
    });
    expect(response.status).toBe(204);
    const row = await env.DB.prepare("SELECT * FROM csp_reports ORDER BY id DESC LIMIT 1").first<Record<string, string>>();
    expect(row).toMatchObject({
      violated_directive: "script-src",
      blocked_uri: "https://evil.example/x.js",
      document_uri: "https://pay.example/public/card/abc",
    });
    const bad = await exports.default.fetch(`${BASE}/public/csp-report`, { method: "POST", body: "not json" });
    expect(bad.status).toBe(400);
  });
});

// The money-integrity invariant holds after everything above (issue 11).
afterAll(() => expectReconciled());
