/*
 * The stage camera through the media server (docs/video.md, "Topology: Janus").
 *
 * Used when the page says data-topology="janus"; video.js handles peer to peer. The same
 * server state (GET /rooms/<id>/video) says who may send now. For every stage line-up (who
 * is on air) this page asks Encore for fresh credentials (a short-lived Janus token, the
 * show's VideoRoom id and pin), opens one Janus session, joins the room, publishes once
 * when it is allowed to send and the camera button is pressed, and subscribes to the
 * feeds of whoever may send. When the line-up changes the whole session is torn down (the
 * old performer's tracks stop at once) and a new one joins. Text comes from data-msg-*.
 *
 * A sender publishes under the feed id its credentials name, and viewers subscribe only
 * to the feed ids the credentials name for the people allowed on camera: anyone else
 * publishing in the room is never shown (and the server kicks them). When a join or a
 * publish is refused (someone took the slot or the id), the page asks for credentials once
 * more, which makes the server clear the room, and tries again. When a connection's ICE
 * fails it is restarted once; a second failure says so in plain words.
 */
(function () {
  "use strict";

  var root = document.getElementById("video-stage");
  if (!root || root.dataset.topology !== "janus") return;
  var Stage = window.EncoreVideoStage;  // video-stage.js: tiles, buttons, camera helpers
  var ui = Stage.controls(root);
  var msg = ui.msg, me = ui.me, roomId = ui.roomId, watchOnly = ui.watchOnly;
  var say = ui.say;

  var state = null;        // the last /video answer
  var lineup = "";         // the line-up the current session was opened for
  var session = null;      // {janus, handle, generation, joined, published, feeds}
  var generation = 0;      // bumps on every teardown, so late callbacks are ignored
  var local = null;        // my camera stream while it is on
  var starting = false;
  var facing = "user";
  var soundOn = false;
  var hasManyCameras = false;
  var remote = {};         // feed (user) id → MediaStream
  var janusReady = false;
  var retried = false;     // one fresh start per line-up after a refused join or publish

  // Receiving needs only RTCPeerConnection; a camera is needed only by someone who may send.
  if (!window.Janus || !window.RTCPeerConnection || (!watchOnly && !navigator.mediaDevices)) {
    root.hidden = false;
    say(msg.msgOldBrowser);
    return;
  }
  window.Janus.init({ debug: false, callback: function () { janusReady = true; refresh(); } });

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function senders() { return state && state.live ? state.senders : []; }
  function maySend() { return !watchOnly && senders().indexOf(me) !== -1; }

  // --- the stage ----------------------------------------------------------------------

  function streamOf(id) { return id === me ? local : remote[id] || null; }

  function render() {
    Stage.render(ui, {
      state: state,
      senders: senders(),
      streamOf: streamOf,
      local: local,
      starting: starting,
      canSend: maySend(),
      hasManyCameras: hasManyCameras,
      soundOn: soundOn,
      receiving: Object.keys(remote).length > 0
    });
  }

  // --- the Janus session ------------------------------------------------------------------

  function teardown(leaving) {
    generation += 1;
    stopCamera();
    remote = {};
    var old = session;
    session = null;
    if (old && old.janus) {
      // Leaving the page, the goodbye goes as a beacon that outlives the page.
      try { old.janus.destroy({ cleanupHandles: true, unload: !!leaving }); } catch (e) { /* gone */ }
    }
    render();
  }

  function unavailable() {
    teardown();
    say(msg.msgUnavailable);
  }

  function retryOnce() {
    // Refused: ask again (the server kicks whoever holds my slot or id) with the camera
    // kept on, once per line-up; a second refusal means no video.
    if (retried) { unavailable(); return; }
    retried = true;
    generation += 1;
    remote = {};
    var old = session;
    session = null;
    if (old && old.janus) { try { old.janus.destroy({ cleanupHandles: true }); } catch (e) { /* gone */ } }
    render();
    open();
  }

  /* Feed id → user id of the people allowed on camera now, as the server named them. */
  function allowedFeeds(current) {
    var byFeed = {};
    var feeds = (current.creds && current.creds.feeds) || {};
    senders().forEach(function (user) {
      var feed = feeds[String(user)];
      if (feed && user !== me) byFeed[feed] = user;
    });
    return byFeed;
  }

  function askForCredentials(mine) {
    fetch(msg.janusUrl, {
      method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf() }
    }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (creds) { if (mine === generation) connect(creds, mine); })
      .catch(function () { if (mine === generation) unavailable(); });
  }

  function open() {
    var mine = generation;
    var s = window.encoreSocket;
    if (!watchOnly) { askForCredentials(mine); return; }
    if (!s || !s.connected) {
      // Not connected yet: the connection's own state refresh opens the session.
      lineup = "";
      return;
    }
    // A spectator counts as watching once their socket's room subscription has landed,
    // which can trail the page's first requests. Subscribing again with the same socket
    // changes nothing on the server, and its answer says the subscription is in place.
    s.emit("subscribe", { room_id: roomId }, function () {
      if (mine === generation) askForCredentials(mine);
    });
  }

  function connect(creds, mine) {
    session = { creds: creds, handle: null, joined: false, published: false, feeds: {} };
    var current = session;
    current.janus = new window.Janus({
      server: creds.server, token: creds.token, iceServers: (state && state.ice_servers) || [],
      success: function () { if (mine === generation) attachMain(current, mine); },
      error: function () { if (mine === generation) unavailable(); }
    });
  }

  function attachMain(current, mine) {
    current.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        current.handle = handle;
        // Everyone joins as a participant to hear about feeds; only a sender publishes,
        // under the feed id the server gave it, which is how viewers know whose feed it is.
        var join = { request: "join", ptype: "publisher", room: current.creds.room, pin: current.creds.pin };
        if (maySend() && current.creds.publisher_id) join.id = current.creds.publisher_id;
        handle.send({ message: join });
      },
      error: function () { if (mine === generation) unavailable(); },
      onmessage: function (message, jsep) {
        if (mine !== generation) return;
        if (message.videoroom === "joined") {
          current.joined = true;
          if (local) publish(current);
        }
        if (message.error) {
          // Refused joining (id taken, pin, room gone) or publishing (slot taken): start
          // afresh once, which clears the room; later errors leave the session as it is.
          if (!current.joined || current.published) retryOnce();
          return;
        }
        if (message.leaving === "ok" && message.reason === "kicked") { retryOnce(); return; }
        var allowed = allowedFeeds(current);
        (message.publishers || []).forEach(function (p) {
          if (allowed[p.id]) subscribe(current, allowed[p.id], p.id, mine);
        });
        var gone = message.unpublished || message.leaving;
        // My own unpublish is confirmed with "ok": then close my sending connection.
        if (message.unpublished === "ok" && current.handle) current.handle.hangup();
        else if (gone && gone !== "ok" && allowed[gone]) dropFeed(current, allowed[gone]);
        if (jsep) current.handle.handleRemoteJsep({ jsep: jsep });
      },
      iceState: function (ice) {
        if (mine !== generation || ice !== "failed" || !current.published) return;
        // The sending connection failed: restart ICE once (a new offer, `configure`).
        if (current.restarted) { say(msg.msgIceFailed); return; }
        current.restarted = true;
        current.handle.createOffer({
          iceRestart: true,
          success: function (jsep) {
            current.handle.send({ message: { request: "configure", audio: true, video: true }, jsep: jsep });
          },
          error: function () { say(msg.msgIceFailed); }
        });
      },
      onlocaltrack: function () {},
      onremotetrack: function () {}
    });
  }

  function publish(current) {
    if (current.published || !current.handle || !local) return;
    current.published = true;
    var tracks = local.getTracks().map(function (t) {
      return { type: t.kind, capture: t, recv: false };
    });
    current.handle.createOffer({
      tracks: tracks,
      success: function (jsep) {
        current.handle.send({ message: { request: "publish", audio: true, video: true }, jsep: jsep });
      },
      error: function () { current.published = false; say(msg.msgIceFailed); }
    });
  }

  function subscribe(current, user, feed, mine) {
    // Only the feed the server named for someone allowed on camera now, once each.
    if (user === me || current.feeds[user] || senders().indexOf(user) === -1) return;
    current.feeds[user] = { handle: null, feed: feed, restarted: false, answered: false };
    current.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        if (!current.feeds[user]) { handle.detach(); return; }
        current.feeds[user].handle = handle;
        handle.send({ message: {
          request: "join", ptype: "subscriber", room: current.creds.room,
          pin: current.creds.pin, streams: [{ feed: feed }]
        } });
      },
      error: function () { delete current.feeds[user]; },
      onmessage: function (message, jsep) {
        var entry = current.feeds[user];
        if (mine !== generation || !entry || !jsep) return;
        // The first answer adds the data channel; an ICE restart's answer keeps what is there.
        var tracks = entry.answered ? undefined : [{ type: "data" }];
        entry.answered = true;
        entry.handle.createAnswer({
          jsep: jsep, tracks: tracks,
          success: function (answer) {
            entry.handle.send({ message: { request: "start", room: current.creds.room }, jsep: answer });
          },
          error: function () { dropFeed(current, user); say(msg.msgIceFailed); }
        });
      },
      iceState: function (ice) {
        var entry = current.feeds[user];
        if (mine !== generation || ice !== "failed" || !entry || !entry.handle) return;
        if (entry.restarted) { dropFeed(current, user); say(msg.msgIceFailed); return; }
        // Restart ICE once: Janus sends a fresh offer, answered as above with `start`.
        entry.restarted = true;
        entry.handle.send({ message: { request: "configure", restart: true } });
      },
      onremotetrack: function (track, mid, on) {
        if (mine !== generation) return;
        var stream = remote[user] || (remote[user] = new MediaStream());
        if (on) {
          stream.getTracks().filter(function (t) { return t.kind === track.kind; })
            .forEach(function (t) { stream.removeTrack(t); });
          stream.addTrack(track);
          if (ui.saying(msg.msgWaiting)) say("");
        } else {
          stream.removeTrack(track);
        }
        render();
      },
      oncleanup: function () { if (mine === generation) { delete remote[user]; render(); } }
    });
  }

  function dropFeed(current, user) {
    var entry = current.feeds[user];
    delete current.feeds[user];
    delete remote[user];
    if (entry && entry.handle) { try { entry.handle.detach(); } catch (e) { /* gone */ } }
    render();
  }

  // --- my camera ------------------------------------------------------------------------

  function startCamera() {
    if (watchOnly || local || starting) return;
    starting = true;
    render();
    var mine = generation;
    navigator.mediaDevices.getUserMedia(Stage.constraints(state, facing)).then(function (stream) {
      starting = false;
      if (mine !== generation || !maySend()) {
        stream.getTracks().forEach(function (t) { t.stop(); });
        render();
        return;
      }
      // The page stops its own tracks (stopCamera); janus.js must not when a session it
      // carried goes (a retry keeps the camera on for the next session).
      stream.getTracks().forEach(function (t) { t.dontStop = true; });
      local = stream;
      say(msg.msgLive);
      Stage.countCameras(function (many) { hasManyCameras = many; render(); });
      if (session && session.joined) publish(session);
      render();
    }).catch(function (error) { starting = false; say(Stage.cameraError(ui, error)); render(); });
  }

  function stopCamera() {
    if (local) local.getTracks().forEach(function (t) { t.stop(); });
    local = null;
    if (session && session.published && session.handle) {
      // Janus confirms with "unpublished: ok", and only then is the connection closed.
      session.published = false;
      session.handle.send({ message: { request: "unpublish" } });
    }
    render();
  }

  function switchCamera() {
    if (!local) return;
    facing = facing === "user" ? "environment" : "user";
    navigator.mediaDevices.getUserMedia({ video: Stage.constraints(state, facing).video }).then(function (stream) {
      var track = stream.getVideoTracks()[0];
      track.dontStop = true;
      var old = local.getVideoTracks()[0];
      if (session && session.handle && session.published) {
        session.handle.replaceTracks({ tracks: [{ type: "video", mid: "1", capture: track }] });
      }
      if (old) { local.removeTrack(old); old.stop(); }
      local.addTrack(track);
      render();
    }).catch(function (error) { say(Stage.cameraError(ui, error)); });
  }

  Stage.bindButtons(ui, {
    start: startCamera,
    stop: function () { stopCamera(); },
    flip: switchCamera,
    local: function () { return local; },
    toggleSound: function () { soundOn = !soundOn; render(); }
  });

  // --- the server's view of the stage -----------------------------------------------------

  function apply(next) {
    if (!next) return;
    state = next;
    var key = state.live ? state.mode + ":" + senders().join(",") : "";
    if (key !== lineup) {
      // A new line-up: the old performer's tracks stop now and a fresh session joins.
      lineup = key;
      retried = false;
      teardown();
      if (key && senders().length) open();
    }
    Stage.sayStageStatus(ui, state, local, starting, !!remote[state.performer_id]);
    render();
  }

  function refresh() {
    if (!janusReady) return;
    fetch(msg.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(apply)
      .catch(function () {});
  }

  root.addEventListener("encore-stage", refresh);
  document.addEventListener("encore:connect", refresh);
  window.addEventListener("pagehide", function () { lineup = ""; teardown(true); });
  refresh();
})();
