// The wallet's only script. Pages work without it; it adds what cannot be done with forms:
// a countdown to a quote's expiry ([data-countdown] holds the Unix time in seconds) and a
// cash-out timeline that follows the cash-out live ([data-follow] holds the URL of its JSON).
// Loaded from this server (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function countdowns() {
    var nodes = document.querySelectorAll("[data-countdown]");
    if (!nodes.length) return;
    function tick() {
      var now = Date.now() / 1000;
      nodes.forEach(function (node) {
        var left = Math.max(0, Math.round(Number(node.getAttribute("data-countdown")) - now));
        node.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
        if (left === 0 && node.getAttribute("data-expired-text")) {
          node.textContent = node.getAttribute("data-expired-text");
        }
      });
    }
    tick();
    setInterval(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdowns();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
