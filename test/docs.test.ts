/** /docs: Swagger UI from the portal's own static assets, only the files it needs, under a CSP without inline scripts. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";

const BASE = "https://portal.test";

describe("the API explorer", () => {
  it("is a page whose scripts all come from the portal itself", async () => {
    const page = await exports.default.fetch(`${BASE}/docs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/cdn|unsafe-eval|script-src[^;]*unsafe-inline/);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.map((s) => /src="([^"]+)"/.exec(s[1] ?? "")?.[1])).toEqual([
      "/docs/assets/swagger-ui-bundle.js",
      "/docs/setup.js",
    ]);
    expect(scripts.every((s) => (s[2] ?? "").trim() === "")).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);

    const bundle = await exports.default.fetch(`${BASE}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("Content-Type")).toMatch(/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    const css = await exports.default.fetch(`${BASE}/docs/assets/swagger-ui.css`);
    expect(css.headers.get("Content-Type")).toMatch(/text\/css/);
    await css.body?.cancel();
    const setup = await exports.default.fetch(`${BASE}/docs/setup.js`);
    expect(await setup.text()).toContain("SwaggerUIBundle");
  });

  it("hands out no other file of the package", async () => {
    for (const file of [
      "index.html",
      "package.json",
      "swagger-initializer.js",
      "..%2Fpackage.json",
      "swagger-ui-bundle.js.map",
    ]) {
      const response = await exports.default.fetch(`${BASE}/docs/assets/${file}`);
      expect(response.status, file).toBe(404);
      await response.body?.cancel();
    }
    for (const path of ["/swagger-ui-bundle.js", "/index.html"]) {
      const response = await exports.default.fetch(`${BASE}${path}`);
      expect(response.status, path).toBe(404);
      await response.body?.cancel();
    }
  });

  it("is served only on the API host when the hosts are split", async () => {
    const split = { ...env, API_HOSTNAME: "payapi.test", PORTAL_HOSTNAME: "pay.test" };
    const status = async (url: string) => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(new Request(url), split, ctx);
      await waitOnExecutionContext(ctx);
      await response.body?.cancel();
      return response.status;
    };
    expect(await status("https://payapi.test/docs")).toBe(200);
    expect(await status("https://payapi.test/docs/assets/swagger-ui.css")).toBe(200);
    expect(await status("https://pay.test/docs")).toBe(404);
    expect(await status("https://pay.test/docs/assets/swagger-ui.css")).toBe(404);
    expect(await status("https://pay.test/docs/setup.js")).toBe(404);
  });
});
