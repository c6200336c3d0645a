/* Encore glue: one Socket.IO connection per page for a logged-in user.
 *
 * The socket only listens. Every change is an HTTP request (a form that htmx may send),
 * so this file never emits anything but `subscribe`.
 *
 * Pages declare what they want in HTML:
 *   data-subscribe="room:5"            join room:5 (or channel:9, or leaderboard) on connect
 *   data-listen="stage presence"       receive those events as htmx triggers named
 *   data-scope="room:5"                "encore-stage", "encore-presence", … when the payload
 *                                      belongs to that scope; every listener also receives
 *                                      "encore-connect" after each (re)connect, so it can
 *                                      re-fetch what it may have missed.
 * Other scripts can listen to document events "encore:<event>" (detail = payload).
 */
(function () {
  "use strict";

  var body = document.body;
  var EVENTS = ["stage", "reaction", "presence", "chat:message", "chat:removed", "inbox", "leaderboard:refreshed", "notice", "post:likes", "post:comments", "notification"];

  function scopeOf(payload) {
    if (payload && payload.room_id != null) return "room:" + payload.room_id;
    if (payload && payload.channel_id != null) return "channel:" + payload.channel_id;
    if (payload && payload.post_id != null) return "post:" + payload.post_id;
    return null;
  }

  function triggerName(event) {
    return "encore-" + event.replace(/[^a-z]+/g, "-");
  }

  function listeners(event) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-listen]"), function (el) {
      return el.getAttribute("data-listen").split(/\s+/).indexOf(event) !== -1;
    });
  }

  function deliver(event, payload) {
    document.dispatchEvent(new CustomEvent("encore:" + event, { detail: payload }));
    if (!window.htmx) return;
    var scope = scopeOf(payload);
    listeners(event).forEach(function (el) {
      var wanted = el.getAttribute("data-scope");
      if (!wanted || !scope || wanted === scope) window.htmx.trigger(el, triggerName(event), payload);
    });
  }

  // Forms keep working without JS; with JS a double tap must not post twice.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.target.closest && e.target.closest("form");
    if (form) form.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.target.closest && e.target.closest("form");
    if (form) form.removeAttribute("aria-busy");
  });

  if (!body.hasAttribute("data-user-id") || typeof window.io !== "function") return;

  var socket = window.io({
    transports: ["websocket", "polling"],
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 10000,
    randomizationFactor: 0.5
  });
  window.encoreSocket = socket;
  var joined = {};

  function subscribe(root) {
    var nodes = [];
    if (root.hasAttribute && root.hasAttribute("data-subscribe")) nodes.push(root);
    if (root.querySelectorAll) nodes = nodes.concat(Array.prototype.slice.call(root.querySelectorAll("[data-subscribe]")));
    nodes.forEach(function (el) {
      var target = el.getAttribute("data-subscribe");
      if (!target || joined[target] || !socket.connected) return;
      var parts = target.split(":");
      var payload = {};
      if (parts[0] === "leaderboard") payload.leaderboard = true;
      else payload[parts[0] + "_id"] = parseInt(parts[1], 10);
      joined[target] = true;
      socket.emit("subscribe", payload, function (ack) {
        if (!ack || !ack.ok) delete joined[target];
      });
    });
  }

  socket.on("connect", function () {
    joined = {};
    body.classList.add("is-connected");
    body.classList.remove("is-offline");
    subscribe(document);
    document.dispatchEvent(new CustomEvent("encore:connect"));
    if (window.htmx) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-listen]"), function (el) {
        window.htmx.trigger(el, "encore-connect");
      });
    }
  });
  socket.on("disconnect", function () {
    body.classList.remove("is-connected");
    body.classList.add("is-offline");
  });
  socket.on("connect_error", function () {
    body.classList.add("is-offline");
  });

  EVENTS.forEach(function (event) {
    socket.on(event, function (payload) { deliver(event, payload); });
  });

  socket.on("notice", function (payload) {
    // A ban ends the account's sessions the same way a logout ends this one.
    if (payload && (payload.kind === "signed_out" || payload.kind === "banned")) {
      socket.disconnect();
      // The tab that pressed "Log out" is already following the logout redirect and this
      // timer dies with it; other tabs of the same session go home a moment later.
      window.setTimeout(function () { window.location.assign("/"); }, 1500);
    }
  });

  document.addEventListener("htmx:load", function (e) { subscribe(e.target); });
})();
