/* Rooms: the stage clock, a stage refresh only when it is needed, and the celebration.
 *
 * - The clock: the server renders the seconds left (data-clock); this ticks them down and,
 *   at zero, re-fetches the stage (the read applies the deadline on the server).
 * - A `stage` event whose version the page already shows does not re-fetch the stage, and
 *   a stage rendered before the one shown (a late answer) is not swapped in.
 * - Reactions burst across the whole stage: claps rise, a mirror ball drops in, spins and
 *   throws light specks. Reactions are gathered for a short window (BATCH_MS) and shown
 *   together, at most a few sprites per batch and MAX_SPRITES alive; the surplus of a
 *   batch shows as one "×N" sprite. Measured on a 4× slowed phone (bench/frame_times.py):
 *   a crowd clapping at once must never cost a frame.
 * - The podium reveals third → first (CSS) and the winner gets confetti.
 * Everything that moves is CSS transform/opacity, and none of it runs under
 * prefers-reduced-motion (the numbers still update).
 */
(function () {
  "use strict";

  var SYMBOLS = { clap: "\uD83D\uDC4F", mirror_ball: "\uD83E\uDEA9" };
  var MAX_SPRITES = 12; // alive at once
  var PER_BATCH = 3; // single sprites of one kind per batch; the rest become one "×N"
  var BATCH_MS = 150; // reactions arriving this close together are shown together
  var DRIFTS = 3; // rise paths (rooms.css burst-rise-0…2): fixed keyframes composite best
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  function stillMotion() { return !(reduced && reduced.matches); }
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

  /* --- the stage version: skip a refetch the page does not need ------------------------ */
  function shownVersion() {
    var stage = document.getElementById("stage");
    return stage ? parseInt(stage.getAttribute("data-version"), 10) || 0 : 0;
  }
  document.addEventListener("htmx:confirm", function (e) {
    var trigger = e.detail && e.detail.triggeringEvent;
    if (!trigger || trigger.type !== "encore-stage" || !trigger.detail) return;
    var version = parseInt(trigger.detail.version, 10);
    if (version && version <= shownVersion()) e.preventDefault();
  });
  // An answer rendered before the stage the page shows must not replace it. A score's own
  // answer can arrive after the refetch that the last score's push asked for; swapped in,
  // it would wind the stage back, and no later push would come to fix it.
  var RENDERED_VERSION = /id="stage"[^>]*\sdata-version="(\d+)"/;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (!target || target.id !== "stage-region" || !e.detail.shouldSwap) return;
    var found = RENDERED_VERSION.exec(e.detail.serverResponse || "");
    var version = found ? parseInt(found[1], 10) : 0;
    if (version && version < shownVersion()) e.detail.shouldSwap = false;
  });

  /* --- the clock ---------------------------------------------------------------------- */
  function format(seconds) {
    var s = Math.max(0, seconds);
    return Math.floor(s / 60) + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }
  window.setInterval(function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-clock]"), function (clock) {
      if (clock.hasAttribute("data-paused")) return;
      var left = parseInt(clock.getAttribute("data-clock"), 10);
      if (isNaN(left)) return;
      left -= 1;
      clock.setAttribute("data-clock", String(Math.max(0, left)));
      var time = clock.querySelector("[data-clock-time]");
      if (time) time.textContent = format(left);
      if (left <= 10) clock.classList.add("is-urgent");
      // A moment after zero, ask for the stage: reading it applies the deadline.
      if (left === -1 && window.htmx) {
        var region = document.getElementById("stage-region");
        if (region) window.htmx.trigger(region, "encore-connect");
      }
    });
  }, 1000);

  /* --- reactions across the stage ----------------------------------------------------- */
  var queue = [];
  var scheduled = false;
  var alive = 0;

  function layer() { return document.getElementById("stage-burst"); }

  function sprite(kind, extra) {
    var el = document.createElement("span");
    el.className = "burst-sprite is-" + kind;
    el.textContent = extra ? SYMBOLS[kind] + "\u00D7" + extra : SYMBOLS[kind];
    el.style.setProperty("--x", (8 + Math.random() * 84).toFixed(1) + "%");
    if (kind === "clap") el.className += " drift-" + Math.floor(Math.random() * DRIFTS);
    if (kind === "mirror_ball") {
      // One element draws all eight specks (box-shadows) and grows outward: one layer,
      // not eight.
      var specks = document.createElement("i");
      specks.className = "burst-specks";
      el.appendChild(specks);
    }
    alive += 1;
    var done = function () {
      if (!el.parentNode) return;
      el.remove();
      alive -= 1;
    };
    el.addEventListener("animationend", function (e) { if (e.target === el) done(); });
    window.setTimeout(done, 2600); // a safety net if animationend never fires
    return el;
  }

  function flush() {
    scheduled = false;
    // The totals too change once per batch: one layout for a crowd, not one per clap.
    var bar = document.getElementById("reactions");
    var seen = bar && latest[bar.getAttribute("data-performance-id")];
    if (seen) applyCounts(bar, seen);
    var target = layer();
    var batch = queue;
    queue = [];
    if (!target || !stillMotion()) return;
    var room = Math.max(0, MAX_SPRITES - alive);
    var counts = {};
    batch.forEach(function (kind) { counts[kind] = (counts[kind] || 0) + 1; });
    // Built aside and added in one go: one style and layout pass per batch.
    var added = document.createDocumentFragment();
    Object.keys(counts).forEach(function (kind) {
      var n = counts[kind];
      var single = Math.min(n, Math.max(0, Math.min(room, PER_BATCH)));
      for (var i = 0; i < single; i += 1) added.appendChild(sprite(kind));
      room -= single;
      // Grouped: the rest of this batch's reactions of a kind become one "×N" sprite.
      if (n > single && room > 0) {
        added.appendChild(sprite(kind, n - single));
        room -= 1;
      }
    });
    target.appendChild(added);
  }

  function burst(kind) {
    if (SYMBOLS[kind]) queue.push(kind);
    if (!scheduled) {
      scheduled = true;
      // The first reaction shows within a frame or so of the window closing; the ones
      // that follow it inside the window join its batch.
      window.setTimeout(function () { window.requestAnimationFrame(flush); }, BATCH_MS);
    }
  }

  document.addEventListener("htmx:afterSettle", function () {
    var bar = document.getElementById("reactions");
    var seen = bar && latest[bar.getAttribute("data-performance-id")];
    if (seen) applyCounts(bar, seen);
    celebrate();
  });

  document.addEventListener("encore:reaction", function (e) {
    var payload = e.detail || {};
    var counts = payload.counts || {};
    var key = String(payload.performance_id);
    var seen = latest[key] || (latest[key] = {});
    Object.keys(counts).forEach(function (kind) {
      seen[kind] = Math.max(seen[kind] || 0, parseInt(counts[kind], 10) || 0);
    });
    var stage = document.getElementById("stage");
    if (!stage || String(payload.room_id) !== stage.getAttribute("data-room-id")) return;
    burst(payload.kind); // also brings the totals on the page up to `latest`
  });

  /* --- the podium: confetti for the winner --------------------------------------------- */
  var COLOURS = ["#ffd166", "#ff3b5c", "#52d6a0", "#7aa2ff", "#ffffff"];
  var CONFETTI = 24; // pieces

  function celebrate() {
    var podium = document.querySelector("[data-podium]");
    if (!podium || podium.hasAttribute("data-celebrated")) return;
    podium.setAttribute("data-celebrated", "true");
    if (!stillMotion()) return;
    var winner = podium.querySelector(".podium-1");
    if (!winner) return;
    var shower = document.createElement("span");
    shower.className = "confetti";
    shower.setAttribute("aria-hidden", "true");
    for (var i = 0; i < CONFETTI; i += 1) {
      var piece = document.createElement("i");
      // Four fixed spins (rooms.css confetti-fall-0…3): keyframes without variables.
      piece.className = "spin-" + (i % 4);
      piece.style.setProperty("--x", (Math.random() * 100).toFixed(1) + "%");
      piece.style.setProperty("--delay", (1.6 + Math.random() * 0.8).toFixed(2) + "s");
      piece.style.background = COLOURS[i % COLOURS.length];
      shower.appendChild(piece);
    }
    winner.appendChild(shower);
    window.setTimeout(function () { shower.remove(); }, 6000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", celebrate);
  else celebrate();
})();
