/**
 * The card page's only script, a convenience: the server's own card checks (domain/card.ts, bundled
 * in by scripts/build-browser.ts), an error summary focused on failure, and the Pay button disabled
 * after a submission that passes. The page works without it. Listed in the script inventory
 * (PCI DSS 6.4.3). The Pacific business date comes from the page, never the device's clock.
 */
import { cardFieldErrors } from "../../domain/card.ts";
import { parseReceiptEmail } from "../../domain/email.ts";

const form = document.querySelector("[data-card-form]");
const ORDER = ["cardNumber", "expiryMonth", "expiryYear", "cardholderName", "securityCode", "email"];
// The page's language: its messages come from the server's catalogue (data-text).
let text = {};
try {
  text = JSON.parse(form?.getAttribute("data-text") || "{}");
} catch {}

function value(id) {
  return document.getElementById(id).value || "";
}

function clear() {
  const old = document.querySelector("[data-error-summary]");
  if (old) old.parentNode.removeChild(old);
  for (const id of ORDER) {
    const message = document.getElementById(`${id}-error`);
    if (message) message.parentNode.removeChild(message);
    const input = document.getElementById(id);
    if (!input) continue;
    input.classList.remove("input-error");
    input.removeAttribute("aria-invalid");
    input.closest(".form-group").classList.remove("form-group-error");
    const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== `${id}-error`);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }
}

function show(errors) {
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.setAttribute("role", "alert");
  summary.setAttribute("tabindex", "-1");
  summary.setAttribute("aria-labelledby", "error-summary-title");
  summary.setAttribute("data-error-summary", "");
  const heading = document.createElement("h2");
  heading.className = "error-summary-title";
  heading.id = "error-summary-title";
  heading.textContent = text.problem || "There is a problem";
  summary.appendChild(heading);
  const list = document.createElement("ul");
  list.className = "error-summary-list";
  summary.appendChild(list);
  for (const id of ORDER) {
    if (!errors[id]) continue;
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#${id}`;
    link.textContent = errors[id];
    item.appendChild(link);
    list.appendChild(item);
    const input = document.getElementById(id);
    const message = document.createElement("p");
    message.className = "error-message";
    message.id = `${id}-error`;
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = text.errorHidden || "Error:";
    message.appendChild(hidden);
    message.appendChild(document.createTextNode(` ${errors[id]}`));
    input.parentNode.insertBefore(message, input);
    input.classList.add("input-error");
    input.setAttribute("aria-invalid", "true");
    input.closest(".form-group").classList.add("form-group-error");
    const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    ids.push(`${id}-error`);
    input.setAttribute("aria-describedby", ids.join(" "));
  }
  const main = document.getElementById("main-content");
  main.insertBefore(summary, main.firstChild);
  const prefix = text.errorPrefix || "Error: ";
  document.title = prefix + document.title.replace(prefix, "");
  summary.focus();
}

if (form) {
  const existing = document.querySelector("[data-error-summary]");
  if (existing) existing.focus();
  let submitted = false;
  form.addEventListener("submit", (event) => {
    if (submitted) {
      event.preventDefault();
      return;
    }
    // Without the page's words the browser leaves the checks to the server (it is the authority).
    const { errors } = text.messages
      ? cardFieldErrors(
          {
            cardNumber: value("cardNumber"),
            expiryMonth: value("expiryMonth"),
            expiryYear: value("expiryYear"),
            cardholderName: value("cardholderName"),
            securityCode: value("securityCode"),
          },
          form.getAttribute("data-payment-method"),
          form.getAttribute("data-today"),
          text.messages,
        )
      : { errors: {} };
    if (document.getElementById("email") && !parseReceiptEmail(value("email")).ok) {
      errors.email = text.emailInvalid || "Enter an email address in the correct format, like name@example.com";
    }
    clear();
    if (Object.keys(errors).length) {
      event.preventDefault();
      show(errors);
      return;
    }
    submitted = true;
    const button = form.querySelector("[data-pay-button]");
    button.setAttribute("disabled", "disabled");
    button.setAttribute("aria-disabled", "true");
    button.textContent = text.paying || "Paying...";
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.(".error-summary-list a");
    if (!link) return;
    const input = document.getElementById(link.getAttribute("href").slice(1));
    if (input) {
      event.preventDefault();
      input.focus();
      input.scrollIntoView({ block: "center" });
    }
  });
}
