/**
 * Which language a public page speaks, and the formatting that depends on it. Strings live in one
 * catalogue per language (en.ts, fr.ts); pages take a Catalogue, never a hard-coded string.
 */
import { pacificZoneName } from "../domain/businessTime.ts";
import { formatCents } from "../domain/money.ts";
import { type Catalogue, en, type Language } from "./en.ts";
import { fr } from "./fr.ts";

export type { Catalogue, Language };

export const LANGUAGES: readonly Language[] = ["en", "fr"];

/** The cookie that keeps the choice made with the switch on the page (scoped to /public). */
export const LANGUAGE_COOKIE = "pbc_lang";

export function catalogue(language: Language): Catalogue {
  return language === "fr" ? fr : en;
}

/** "fr", "FR", "fr-CA", "fr_CA" -> fr; "en", "en-CA" -> en; anything else -> null. */
export function parseLanguage(text: string | null | undefined): Language | null {
  const match = /^(en|fr)(?:[-_][a-z]{2})?$/i.exec((text ?? "").trim());
  return match ? ((match[1] as string).toLowerCase() as Language) : null;
}

/** The best of our languages for an Accept-Language header (quality values honoured), else English. */
export function negotiateLanguage(header: string | null | undefined): Language {
  let best: { language: Language; q: number } | null = null;
  for (const part of (header ?? "").split(",").slice(0, 20)) {
    const [tag = "", ...params] = part.trim().split(";");
    const language = parseLanguage(tag.split("-")[0]);
    if (!language) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    if (!best || q > best.q) best = { language, q };
  }
  return best?.language ?? "en";
}

/**
 * The language of a public page: the person's own choice with the switch (query, then cookie), else
 * what the partner asked for in the signed request, else the browser's Accept-Language.
 */
export function chooseLanguage(input: {
  query?: string | null | undefined;
  cookie?: string | null | undefined;
  requested?: string | null | undefined;
  acceptLanguage?: string | null | undefined;
}): Language {
  return (
    parseLanguage(input.query) ??
    parseLanguage(input.cookie) ??
    parseLanguage(input.requested) ??
    negotiateLanguage(input.acceptLanguage)
  );
}

/** Integer cents as the language writes money: $1,234.50 / 1 234,50 $. */
export function formatMoney(cents: number, t: Catalogue): string {
  const [whole = "0", fraction = "00"] = formatCents(cents).split(".");
  return t.money(whole, fraction);
}

/** An instant as Pacific local date and time, e.g. "November 30, 2026, 4:05 p.m. PST". */
export function formatPacificDateTime(iso: string, t: Catalogue): string {
  return new Intl.DateTimeFormat(t.locale, {
    timeZone: "America/Vancouver",
    dateStyle: "long",
    timeStyle: "short",
  })
    .format(new Date(iso))
    .concat(` ${pacificZoneName(new Date(iso))}`);
}
