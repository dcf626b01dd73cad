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

  // Follows a cash-out: every 2 seconds while it is not final, its status.json (a same-origin
  // GET with the session cookie) updates the status words, the line over the amount and the
  // timeline in place. Stops at a final status, or when an answer is not a status.
  function follow(node) {
    var url = node.getAttribute("data-follow");
    var status = node.querySelector("[data-status]");
    var headline = node.querySelector("[data-headline]");
    var timeline = node.querySelector("[data-timeline]");
    function show(answer) {
      if (status && status.textContent !== answer.status_text) status.textContent = answer.status_text;
      if (headline) headline.textContent = answer.headline;
      if (timeline && answer.timeline) {
        while (timeline.firstChild) timeline.removeChild(timeline.firstChild);
        answer.timeline.forEach(function (step) {
          var item = document.createElement("li");
          var words = document.createElement("span");
          var when = document.createElement("time");
          words.className = "step";
          words.textContent = step.text;
          when.textContent = step.at;
          item.appendChild(words);
          item.appendChild(document.createTextNode(" "));
          item.appendChild(when);
          timeline.appendChild(item);
        });
      }
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (answer) {
          show(answer);
          if (!answer["final"]) setTimeout(poll, 2000);
        })
        .catch(function () { /* The page stays as it is; a reload shows the news. */ });
    }
    setTimeout(poll, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdowns();
    document.querySelectorAll("[data-follow]").forEach(follow);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
