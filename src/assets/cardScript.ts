/**
 * The card page's only script, a convenience: the same checks and messages as the server
 * (domain/card.ts), an error summary focused on failure, and the Pay button disabled after a
 * submission that passes. The page works without it. Listed in the script inventory (PCI DSS 6.4.3).
 */
import { cardMessages } from "../domain/card.ts";

export const cardScript = `(function () {
  "use strict";
  var M = ${JSON.stringify(cardMessages)};
  var form = document.querySelector("[data-card-form]");
  if (!form) return;
  var method = form.getAttribute("data-payment-method");
  function luhn(d) { var s = 0, dbl = false; for (var i = d.length - 1; i >= 0; i--) { var n = d.charCodeAt(i) - 48; if (dbl) { n *= 2; if (n > 9) n -= 9; } s += n; dbl = !dbl; } return s % 10 === 0; }
  function brand(d) {
    var six = Number(d.slice(0, 6));
    if (/^4/.test(d)) return "visa";
    if (/^3[47]/.test(d)) return "amex";
    if (/^5[1-5]/.test(d) || (six >= 222100 && six <= 272099)) return "mastercard";
    if (/^(6011|65|64[4-9])/.test(d) || (six >= 622126 && six <= 622925)) return "discover";
    return null;
  }
  var LENGTHS = { visa: [13, 16, 19], mastercard: [16], amex: [15], discover: [16, 17, 18, 19] };
  function value(id) { return (document.getElementById(id).value || ""); }
  function check() {
    var e = {}, n = value("cardNumber").replace(/[\\s-]/g, ""), b = null;
    if (n === "") e.cardNumber = M.numberRequired;
    else if (!/^\\d+$/.test(n)) e.cardNumber = M.numberInvalid;
    else if (n.length < 12 || n.length > 19) e.cardNumber = M.numberLength;
    else if (!luhn(n)) e.cardNumber = M.numberInvalid;
    else { b = brand(n); if (!b) e.cardNumber = M.notAccepted; else if (LENGTHS[b].indexOf(n.length) < 0) e.cardNumber = M.numberLength; else if (method === "VI" && b !== "visa") e.cardNumber = M.debitVisaOnly; }
    var mt = value("expiryMonth").trim(), yt = value("expiryYear").trim();
    var m = /^\\d{1,2}$/.test(mt) ? Number(mt) : NaN, y = /^(\\d{2}|\\d{4})$/.test(yt) ? Number(yt) : NaN;
    if (yt.length === 2) y += 2000;
    if (!(m >= 1 && m <= 12)) e.expiryMonth = M.expiryMonth;
    if (isNaN(y)) e.expiryYear = M.expiryYear;
    if (!e.expiryMonth && !e.expiryYear) { var now = new Date(), ty = now.getFullYear(), tm = now.getMonth() + 1; if (y < ty || (y === ty && m < tm)) e.expiryMonth = M.expiryPast; else if (y > ty + 20) e.expiryYear = M.expiryYear; }
    var name = value("cardholderName").trim().replace(/\\s+/g, " ");
    if (name === "") e.cardholderName = M.nameRequired; else if ((name.match(/\\d/g) || []).length >= 12) e.cardholderName = M.nameDigits; else if (name.length > 45) e.cardholderName = M.nameLength;
    var c = value("securityCode").trim(), len = b === "amex" ? 4 : 3;
    if (!/^\\d+$/.test(c) || c.length !== len) e.securityCode = b === "amex" ? M.securityCodeAmex : M.securityCode;
    return e;
  }
  var ORDER = ["cardNumber", "expiryMonth", "expiryYear", "cardholderName", "securityCode"];
  function clear() {
    var old = document.querySelector("[data-error-summary]"); if (old) old.parentNode.removeChild(old);
    ORDER.forEach(function (id) {
      var msg = document.getElementById(id + "-error"); if (msg) msg.parentNode.removeChild(msg);
      var input = document.getElementById(id); input.classList.remove("input-error"); input.removeAttribute("aria-invalid");
      input.closest(".form-group").classList.remove("form-group-error");
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x && x !== id + "-error"; });
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" ")); else input.removeAttribute("aria-describedby");
    });
  }
  function show(e) {
    var summary = document.createElement("div");
    summary.className = "error-summary"; summary.setAttribute("role", "alert"); summary.setAttribute("tabindex", "-1");
    summary.setAttribute("aria-labelledby", "error-summary-title"); summary.setAttribute("data-error-summary", "");
    var h = document.createElement("h2"); h.className = "error-summary-title"; h.id = "error-summary-title"; h.textContent = "There is a problem"; summary.appendChild(h);
    var ul = document.createElement("ul"); ul.className = "error-summary-list"; summary.appendChild(ul);
    ORDER.forEach(function (id) {
      if (!e[id]) return;
      var li = document.createElement("li"), a = document.createElement("a"); a.href = "#" + id; a.textContent = e[id]; li.appendChild(a); ul.appendChild(li);
      var input = document.getElementById(id), p = document.createElement("p");
      p.className = "error-message"; p.id = id + "-error";
      var hidden = document.createElement("span"); hidden.className = "visually-hidden"; hidden.textContent = "Error:";
      p.appendChild(hidden); p.appendChild(document.createTextNode(" " + e[id]));
      input.parentNode.insertBefore(p, input);
      input.classList.add("input-error"); input.setAttribute("aria-invalid", "true");
      input.closest(".form-group").classList.add("form-group-error");
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean); ids.push(id + "-error");
      input.setAttribute("aria-describedby", ids.join(" "));
    });
    var main = document.getElementById("main-content"); main.insertBefore(summary, main.firstChild);
    document.title = "Error: " + document.title.replace(/^Error: /, "");
    summary.focus();
  }
  var existing = document.querySelector("[data-error-summary]");
  if (existing) existing.focus();
  var submitted = false;
  form.addEventListener("submit", function (event) {
    if (submitted) { event.preventDefault(); return; }
    var e = check();
    clear();
    if (Object.keys(e).length) { event.preventDefault(); show(e); return; }
    submitted = true;
    var button = form.querySelector("[data-pay-button]");
    button.setAttribute("disabled", "disabled"); button.setAttribute("aria-disabled", "true"); button.textContent = "Paying...";
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary-list a");
    if (!link) return;
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (input) { event.preventDefault(); input.focus(); input.scrollIntoView({ block: "center" }); }
  });
})();
`;
