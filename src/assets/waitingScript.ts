/**
 * The waiting page's script: asks the server every 2 seconds whether the outcome is known and only
 * then reloads, so the page is not re-read to screen readers every 2 seconds (a meta refresh would
 * be; WCAG 2.2.1). Without script, the "Check again" link does the same. Listed in the inventory.
 */
export const waitingScript = `(function () {
  "use strict";
  var status = document.querySelector("[data-status-url]");
  if (!status) return;
  var url = status.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { done: false }; })
      .then(function (body) { if (body && body.done) window.location.reload(); else setTimeout(poll, 2000); })
      .catch(function () { setTimeout(poll, 4000); });
  }
  setTimeout(poll, 2000);
})();
`;
