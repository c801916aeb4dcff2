import type { Child, FC } from "hono/jsx";
import { type Catalogue, catalogue } from "../i18n/index.ts";

export interface LayoutProps {
  title: string;
  serviceName?: string | undefined;
  nonce: string;
  scripts?: string[];
  /** The page's language; English when not given (staff and demo pages). */
  t?: Catalogue;
  /** The same page in the other language (the switch); none on pages that cannot be re-shown. */
  switchHref?: string | null | undefined;
  children?: Child;
}

export const Layout: FC<LayoutProps> = ({
  title,
  serviceName,
  nonce,
  scripts = [],
  t = catalogue("en"),
  switchHref,
  children,
}) => (
  <html lang={t.htmlLang}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{`${title} - ${serviceName ?? t.layout.pay} - ${t.layout.government}`}</title>
      <link rel="stylesheet" href="/public/assets/portal.css" />
    </head>
    <body>
      <a href="#main-content" class="skip-link">
        {t.layout.skipLink}
      </a>
      <header class="header">
        <div class="width-container header-inner">
          <span class="header-title">
            {t.layout.pay} {serviceName ? `- ${serviceName}` : ""}
          </span>
          {switchHref && (
            <a class="language-switch" href={switchHref} lang={t.layout.switchLanguage} hreflang={t.layout.switchLanguage}>
              <span class="visually-hidden">{t.layout.switchLabel}</span>
              <span aria-hidden="true">{t.layout.switchText}</span>
            </a>
          )}
        </div>
      </header>
      <div class="width-container">
        <main id="main-content" class="main" tabindex={-1}>
          {children}
        </main>
      </div>
      <footer class="footer">
        <div class="width-container">{t.layout.footer}</div>
      </footer>
      {scripts.map((src) => (
        <script src={src} nonce={nonce} defer />
      ))}
    </body>
  </html>
);

export const ErrorSummary: FC<{ errors: Array<{ field: string; message: string }>; t?: Catalogue }> = ({
  errors,
  t = catalogue("en"),
}) =>
  errors.length === 0 ? null : (
    <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex={-1} data-error-summary>
      <h2 class="error-summary-title" id="error-summary-title">
        {t.layout.problem}
      </h2>
      <ul class="error-summary-list">
        {errors.map((error) => (
          <li>
            <a href={`#${error.field}`}>{error.message}</a>
          </li>
        ))}
      </ul>
    </div>
  );
