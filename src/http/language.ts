/**
 * The language of public pages. `?lang=fr|en` (the switch on every public page) is the person's own
 * choice and is kept in a cookie for the rest of the visit; without it, Accept-Language decides. The
 * card pages refine this with the language the partner asked for in the signed request.
 */
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { chooseLanguage, LANGUAGE_COOKIE, type Language, parseLanguage } from "../i18n/index.ts";
import type { AppEnv } from "./types.ts";

export const languageMiddleware: MiddlewareHandler<AppEnv> = async (c, next) => {
  const query = c.req.query("lang");
  const chosen = parseLanguage(query);
  const cookie = getCookie(c, LANGUAGE_COOKIE);
  if (chosen && chosen !== cookie) {
    // A preference, not personal data; Lax so it survives the partner's redirect into the portal.
    setCookie(c, LANGUAGE_COOKIE, chosen, { path: "/public", secure: true, sameSite: "Lax", httpOnly: true, maxAge: 30 * 86400 });
  }
  c.set("lang", chooseLanguage({ query, cookie, acceptLanguage: c.req.header("Accept-Language") }));
  c.set("langChosen", Boolean(chosen ?? parseLanguage(cookie)));
  await next();
};

/** The language of a payment's pages: the person's switch, else the partner's signed request, else the browser. */
export function pageLanguage(vars: { lang: Language; langChosen: boolean }, requested: string | null): Language {
  return vars.langChosen ? vars.lang : (parseLanguage(requested) ?? vars.lang);
}
