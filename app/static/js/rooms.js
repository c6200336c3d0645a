/* Rooms: animate reactions for everyone in the room.
 *
 * The reaction event carries the new totals. This updates the numbers on the stage and
 * lets a clap or a mirror ball float up. Everything else on the room page is htmx.
 * The animation is CSS, which turns it off for prefers-reduced-motion.
 */
(function () {
  "use strict";

  var SYMBOLS = { clap: "\uD83D\uDC4F", mirror_ball: "\uD83E\uDEA9" };
  // The highest totals seen per performance. Counts only grow, so a stage refresh rendered
  // just before a reaction must not wind them back.
  var latest = {};

  function applyCounts(bar, counts) {
    Object.keys(counts).forEach(function (kind) {
      Array.prototype.forEach.call(bar.querySelectorAll('[data-count="' + kind + '"]'), function (el) {
        var value = parseInt(counts[kind], 10);
        if (!isNaN(value) && value > parseInt(el.textContent, 10)) el.textContent = String(value);
      });
    });
  }

  document.addEventListener("htmx:afterSettle", function () {
    var bar = document.getElementById("reactions");
    var seen = bar && latest[bar.getAttribute("data-performance-id")];
    if (seen) applyCounts(bar, seen);
  });

  document.addEventListener("encore:reaction", function (e) {
    var payload = e.detail || {};
    var counts = payload.counts || {};
    var key = String(payload.performance_id);
    var seen = latest[key] || (latest[key] = {});
    Object.keys(counts).forEach(function (kind) {
      seen[kind] = Math.max(seen[kind] || 0, parseInt(counts[kind], 10) || 0);
    });
    var bar = document.getElementById("reactions");
    if (!bar || String(payload.room_id) !== bar.getAttribute("data-room-id")) return;
    if (key !== bar.getAttribute("data-performance-id")) return;
    applyCounts(bar, counts);
    if (!SYMBOLS[payload.kind]) return;
    var burst = bar.querySelector(".reaction-burst");
    if (burst) {
      var pop = document.createElement("span");
      pop.className = "reaction-pop is-" + payload.kind;
      pop.textContent = SYMBOLS[payload.kind];
      pop.addEventListener("animationend", function () { pop.remove(); });
      burst.appendChild(pop);
      // Without animation (reduced motion) animationend never fires.
      window.setTimeout(function () { pop.remove(); }, 1500);
    }
    var button = bar.querySelector('[data-kind="' + payload.kind + '"]');
    if (button) {
      button.classList.remove("reaction-bump");
      void button.offsetWidth;
      button.classList.add("reaction-bump");
    }
  });
})();
