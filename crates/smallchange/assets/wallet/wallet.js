// The wallet's only script. Pages work without it; it adds what cannot be done with forms:
// a countdown to a quote's expiry ([data-countdown] holds the Unix time in seconds) that
// switches the quote to its expired state at zero, and a
// cash-out timeline that follows the cash-out live ([data-follow] holds the URL of its JSON).
// Loaded from this server (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // A quote whose time is up cannot be confirmed: its button is disabled and the live part
  // ([data-quote-live]) gives way to what the server shows for an expired quote
  // ([data-quote-expired]: the words, and the button for a new quote).
  function expire() {
    document.querySelectorAll("[data-quote-confirm]").forEach(function (button) { button.disabled = true; });
    document.querySelectorAll("[data-quote-live]").forEach(function (node) { node.hidden = true; });
    document.querySelectorAll("[data-quote-expired]").forEach(function (node) { node.hidden = false; });
  }

  function countdowns() {
    var nodes = document.querySelectorAll("[data-countdown]");
    if (!nodes.length) return;
    var timer = null;
    function tick() {
      var now = Date.now() / 1000;
      var ended = false;
      nodes.forEach(function (node) {
        var left = Math.max(0, Math.ceil(Number(node.getAttribute("data-countdown")) - now));
        node.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
        if (left === 0) ended = true;
      });
      if (ended) {
        expire();
        if (timer !== null) clearInterval(timer);
      }
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  // When the status changes, what depends on it ([data-refresh]: the notices, the actions,
  // the amounts' labels) is taken afresh from the page itself, so a paid cash-out never
  // keeps a review notice or a cancel button.
  function refresh() {
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-refresh]").forEach(function (part) {
          var twin = fresh.querySelector('[data-refresh="' + part.getAttribute("data-refresh") + '"]');
          if (twin) part.innerHTML = twin.innerHTML;
        });
      })
      .catch(function () { /* The page stays as it is; a reload shows the news. */ });
  }

  // Follows a cash-out: every 2 seconds while it is not final, its status.json (a same-origin
  // GET with the session cookie) updates the status words, the line over the amount and the
  // timeline in place. Stops at a final status, or when an answer is not a status.
  function follow(node) {
    var url = node.getAttribute("data-follow");
    var current = node.getAttribute("data-current");
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
          if (answer.status !== current) {
            current = answer.status;
            refresh();
          }
          if (!answer["final"]) setTimeout(poll, 2000);
        })
        .catch(function () { /* The page stays as it is; a reload shows the news. */ });
    }
    setTimeout(poll, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A form answered with its error (a 4xx to a post that changed nothing) becomes a plain
    // visit to the page's own address ([data-address]): reloading it, or coming Back to it,
    // asks for the page again instead of offering to send the form once more. The query is
    // kept: a page that shows a result after a redirect (`?wrong=1`) shows it again.
    var answered = document.querySelector("[data-address]");
    if (answered && window.history.replaceState) {
      var address = answered.getAttribute("data-address");
      if (address.indexOf("?") < 0) address += window.location.search;
      window.history.replaceState(null, "", address);
    }
    countdowns();
    document.querySelectorAll("[data-follow]").forEach(follow);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
