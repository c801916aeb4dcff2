import type { Child, FC } from "hono/jsx";

export interface LayoutProps {
  title: string;
  serviceName?: string;
  nonce: string;
  scripts?: string[];
  children?: Child;
}

export const Layout: FC<LayoutProps> = ({ title, serviceName, nonce, scripts = [], children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{`${title} - ${serviceName ?? "Pay"} - Government of British Columbia`}</title>
      <link rel="stylesheet" href="/public/assets/portal.css" />
    </head>
    <body>
      <a href="#main-content" class="skip-link">
        Skip to main content
      </a>
      <header class="header">
        <div class="width-container">
          <span class="header-title">Pay {serviceName ? `- ${serviceName}` : ""}</span>
        </div>
      </header>
      <div class="width-container">
        <main id="main-content" class="main" tabindex={-1}>
          {children}
        </main>
      </div>
      <footer class="footer">
        <div class="width-container">Secure card payment for Government of British Columbia services</div>
      </footer>
      {scripts.map((src) => (
        <script src={src} nonce={nonce} defer />
      ))}
    </body>
  </html>
);

export const ErrorSummary: FC<{ errors: Array<{ field: string; message: string }> }> = ({ errors }) =>
  errors.length === 0 ? null : (
    <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex={-1} data-error-summary>
      <h2 class="error-summary-title" id="error-summary-title">
        There is a problem
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
