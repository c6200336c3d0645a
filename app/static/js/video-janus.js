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
 */
(function () {
  "use strict";

  var root = document.getElementById("video-stage");
  if (!root || root.dataset.topology !== "janus") return;
  var msg = root.dataset;
  var me = parseInt(msg.viewerId, 10);
  var roomId = parseInt(msg.roomId, 10);
  var $ = function (id) { return document.getElementById(id); };
  var mainBox = $("video-main"), gallery = $("video-gallery"), statusLine = $("video-status");
  // A spectator (watching without a seat) only receives: the page has no camera buttons
  // for them, so detached stand-ins keep the code below simple, and nothing ever sends.
  var watchOnly = msg.watchOnly === "true";
  function control(id) { return $(id) || document.createElement("button"); }
  var buttons = {
    start: control("video-start"), camera: control("video-toggle-camera"),
    mic: control("video-toggle-mic"), flip: control("video-switch"), stop: control("video-stop"),
    sound: $("video-sound")
  };

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
  var tiles = {};          // user id → <figure>
  var janusReady = false;

  function say(text) { statusLine.textContent = text || ""; }
  function show(el, on) { el.hidden = !on; }

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

  // --- tiles ----------------------------------------------------------------------------

  function tile(userId) {
    var figure = tiles[userId];
    if (!figure) {
      figure = document.createElement("figure");
      figure.className = "video-tile";
      var video = document.createElement("video");
      video.setAttribute("playsinline", "");
      video.autoplay = true;
      video.muted = true;
      video.dataset.userId = String(userId);
      var caption = document.createElement("figcaption");
      caption.textContent = (state && state.names[String(userId)]) || "";
      figure.appendChild(video);
      figure.appendChild(caption);
      tiles[userId] = figure;
    }
    return figure;
  }

  function streamOf(id) { return id === me ? local : remote[id] || null; }

  function render() {
    var live = !!(state && state.live);
    root.hidden = !live;
    var showing = {};
    senders().forEach(function (id) { if (streamOf(id)) showing[id] = true; });
    Object.keys(tiles).forEach(function (id) {
      if (!showing[id]) { tiles[id].remove(); delete tiles[id]; }
    });
    Object.keys(showing).forEach(function (key) {
      var id = parseInt(key, 10);
      var figure = tile(id);
      var video = figure.querySelector("video");
      var stream = streamOf(id);
      if (video.srcObject !== stream) video.srcObject = stream;
      video.muted = id === me || !soundOn;
      var box = (id === state.performer_id || state.mode === "stage") ? mainBox : gallery;
      if (figure.parentNode !== box) box.appendChild(figure);
      var played = video.play();
      if (played && played.catch) played.catch(function () {});
    });
    show(buttons.start, live && maySend() && !local && !starting);
    [buttons.camera, buttons.mic, buttons.stop].forEach(function (b) { show(b, !!local); });
    show(buttons.flip, !!local && hasManyCameras);
    var receiving = Object.keys(remote).length > 0;
    show(buttons.sound, receiving);
    buttons.sound.textContent = soundOn ? msg.msgSoundOff : msg.msgSoundOn;
    if (receiving && !soundOn && !statusLine.textContent) say(msg.msgTapHint);
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
        // under its user id, which is how viewers know whose feed it is.
        var join = { request: "join", ptype: "publisher", room: current.creds.room, pin: current.creds.pin };
        if (maySend()) join.id = me;
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
          // Refused before joining (pin, room gone): no video. Later errors (a publish
          // refused) leave the session as it is.
          if (!current.joined) unavailable();
          return;
        }
        (message.publishers || []).forEach(function (p) { subscribe(current, p.id, mine); });
        var gone = message.unpublished || message.leaving;
        // My own unpublish is confirmed with "ok": then close my sending connection.
        if (message.unpublished === "ok" && current.handle) current.handle.hangup();
        else if (gone && gone !== "ok") dropFeed(current, gone);
        if (jsep) current.handle.handleRemoteJsep({ jsep: jsep });
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

  function subscribe(current, feed, mine) {
    // Only feeds of people allowed on camera now, never my own, once each.
    if (feed === me || current.feeds[feed] || senders().indexOf(feed) === -1) return;
    current.feeds[feed] = { handle: null };
    current.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        current.feeds[feed].handle = handle;
        handle.send({ message: {
          request: "join", ptype: "subscriber", room: current.creds.room,
          pin: current.creds.pin, streams: [{ feed: feed }]
        } });
      },
      error: function () { delete current.feeds[feed]; },
      onmessage: function (message, jsep) {
        var entry = current.feeds[feed];
        if (mine !== generation || !entry || !jsep) return;
        entry.handle.createAnswer({
          jsep: jsep, tracks: [{ type: "data" }],
          success: function (answer) {
            entry.handle.send({ message: { request: "start", room: current.creds.room }, jsep: answer });
          },
          error: function () { dropFeed(current, feed); say(msg.msgIceFailed); }
        });
      },
      iceState: function (ice) {
        if (mine === generation && ice === "failed") { dropFeed(current, feed); say(msg.msgIceFailed); }
      },
      onremotetrack: function (track, mid, on) {
        if (mine !== generation) return;
        var stream = remote[feed] || (remote[feed] = new MediaStream());
        if (on) {
          stream.getTracks().filter(function (t) { return t.kind === track.kind; })
            .forEach(function (t) { stream.removeTrack(t); });
          stream.addTrack(track);
          if (statusLine.textContent === msg.msgWaiting) say("");
        } else {
          stream.removeTrack(track);
        }
        render();
      },
      oncleanup: function () { if (mine === generation) { delete remote[feed]; render(); } }
    });
  }

  function dropFeed(current, feed) {
    var entry = current.feeds[feed];
    delete current.feeds[feed];
    delete remote[feed];
    if (entry && entry.handle) { try { entry.handle.detach(); } catch (e) { /* gone */ } }
    render();
  }

  // --- my camera ------------------------------------------------------------------------

  function constraints() {
    var video = state && state.mode === "everyone"
      ? { facingMode: facing, width: { ideal: 320 }, height: { ideal: 240 }, frameRate: { max: 15 } }
      : { facingMode: facing, width: { ideal: 640 }, height: { ideal: 480 } };
    return { audio: true, video: video };
  }

  function cameraError(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return msg.msgDenied;
    if (name === "NotFoundError" || name === "OverconstrainedError") return msg.msgNoCamera;
    return msg.msgCameraFailed;
  }

  function startCamera() {
    if (watchOnly || local || starting) return;
    starting = true;
    render();
    var mine = generation;
    navigator.mediaDevices.getUserMedia(constraints()).then(function (stream) {
      starting = false;
      if (mine !== generation || !maySend()) {
        stream.getTracks().forEach(function (t) { t.stop(); });
        render();
        return;
      }
      local = stream;
      say(msg.msgLive);
      navigator.mediaDevices.enumerateDevices().then(function (devices) {
        hasManyCameras = devices.filter(function (d) { return d.kind === "videoinput"; }).length > 1;
        render();
      }).catch(function () {});
      if (session && session.joined) publish(session);
      render();
    }).catch(function (error) { starting = false; say(cameraError(error)); render(); });
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

  function toggleTrack(kind, button, offText, onText) {
    if (!local) return;
    local.getTracks().filter(function (t) { return t.kind === kind; }).forEach(function (t) {
      t.enabled = !t.enabled;
      button.textContent = t.enabled ? offText : onText;
      button.setAttribute("aria-pressed", String(!t.enabled));
    });
  }

  function switchCamera() {
    if (!local) return;
    facing = facing === "user" ? "environment" : "user";
    navigator.mediaDevices.getUserMedia({ video: constraints().video }).then(function (stream) {
      var track = stream.getVideoTracks()[0];
      var old = local.getVideoTracks()[0];
      if (session && session.handle && session.published) {
        session.handle.replaceTracks({ tracks: [{ type: "video", mid: "1", capture: track }] });
      }
      if (old) { local.removeTrack(old); old.stop(); }
      local.addTrack(track);
      render();
    }).catch(function (error) { say(cameraError(error)); });
  }

  buttons.start.addEventListener("click", startCamera);
  buttons.stop.addEventListener("click", function () { stopCamera(); say(""); });
  buttons.camera.addEventListener("click", function () {
    toggleTrack("video", buttons.camera, msg.msgCameraOff, msg.msgCameraOn);
  });
  buttons.mic.addEventListener("click", function () {
    toggleTrack("audio", buttons.mic, msg.msgMicOff, msg.msgMicOn);
  });
  buttons.flip.addEventListener("click", switchCamera);
  buttons.sound.addEventListener("click", function () {
    soundOn = !soundOn;
    if (statusLine.textContent === msg.msgTapHint) say("");
    render();
  });

  // --- the server's view of the stage -----------------------------------------------------

  function apply(next) {
    if (!next) return;
    state = next;
    var key = state.live ? state.mode + ":" + senders().join(",") : "";
    if (key !== lineup) {
      // A new line-up: the old performer's tracks stop now and a fresh session joins.
      lineup = key;
      teardown();
      if (key && senders().length) open();
    }
    if (state.live && state.mode === "stage" && state.performer_id === me && !local && !starting) {
      say(msg.msgYouAreOn);
    } else if (state.live && state.performer_id && state.performer_id !== me && !remote[state.performer_id]) {
      if (!statusLine.textContent || statusLine.textContent === msg.msgYouAreOn) say(msg.msgWaiting);
    } else if (statusLine.textContent === msg.msgYouAreOn || statusLine.textContent === msg.msgWaiting) {
      say("");
    }
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
