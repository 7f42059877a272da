// normledger console: the only script besides htmx (no inline script anywhere; the
// Content-Security-Policy forbids it). It tells htmx when the ledger changes, so lists that
// listen for `nl-ledger-changed` refresh at once instead of at their next poll.
(function () {
  "use strict";
  if (!("EventSource" in window) || !document.getElementById("work")) {
    return;
  }
  var source = new EventSource("/console/live");
  source.addEventListener("changed", function () {
    document.body.dispatchEvent(new CustomEvent("nl-ledger-changed"));
  });
  source.onerror = function () {
    // The browser reconnects by itself; the page's poll covers the gap.
  };
})();
