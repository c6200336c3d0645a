/*
 * The stage camera, peer to peer (docs/video.md).
 *
 * The server says who may send now (GET /rooms/<id>/video, re-read on every stage event
 * and reconnect). A sender turns the camera on only when they press the button, then
 * announces `rtc:ready`; each viewer answers `rtc:want`, and the sender offers that viewer
 * its own RTCPeerConnection, up to a cap. When the server says the sender may no longer
 * send (the turn passed), every track stops at once. All text comes from data-msg-*
 * attributes rendered (and translated) by the server.
 */
(function () {
  "use strict";

  var root = document.getElementById("video-stage");
  // Through the media server, video-janus.js drives the same stage instead.
  if (!root || root.dataset.topology === "janus") return;
  var msg = root.dataset;
  var roomId = parseInt(msg.roomId, 10);
  var me = parseInt(msg.viewerId, 10);
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

  var state = null;          // the last /video answer
  var local = null;          // my MediaStream while my camera is on
  var starting = false;      // getUserMedia in progress
  var facing = "user";
  var soundOn = false;       // the viewer tapped for sound
  var sends = {};            // viewer id → {pc, restarted, queue}
  var recvs = {};            // sender id → {pc, restarted, queue, stream}
  var tiles = {};            // user id → <figure>
  var wanted = {};           // sender id → true once asked for since the last state change

  function say(text) { statusLine.textContent = text || ""; }
  function show(el, on) { el.hidden = !on; }

  var canCapture = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  // Receiving needs only RTCPeerConnection; a camera is needed only by someone who may send.
  if (!window.RTCPeerConnection || (!watchOnly && !canCapture)) {
    root.hidden = false;
    say(msg.msgOldBrowser);
    return;
  }

  function socket() { return window.encoreSocket || null; }
  function send(event, payload) {
    var s = socket();
    if (!s || !s.connected) return;
    payload.room_id = roomId;
    s.emit(event, payload, function () {});
  }

  // --- tiles ------------------------------------------------------------------------

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

  function streamOf(userId) {
    if (userId === me) return local;
    return recvs[userId] ? recvs[userId].stream : null;
  }

  function render() {
    var live = state && state.live;
    root.hidden = !live;
    var performer = state ? state.performer_id : null;
    var showing = {};
    (state ? state.senders : []).forEach(function (id) { if (streamOf(id)) showing[id] = true; });
    Object.keys(tiles).forEach(function (id) {
      if (!showing[id]) { tiles[id].remove(); delete tiles[id]; }
    });
    Object.keys(showing).forEach(function (key) {
      var id = parseInt(key, 10);
      var figure = tile(id);
      var video = figure.querySelector("video");
      var stream = streamOf(id);
      if (video.srcObject !== stream) video.srcObject = stream;
      // My own preview stays muted; others follow the viewer's sound choice.
      video.muted = id === me || !soundOn;
      var box = (id === performer || state.mode === "stage") ? mainBox : gallery;
      if (figure.parentNode !== box) box.appendChild(figure);
      var played = video.play();
      if (played && played.catch) played.catch(function () {});
    });
    var canSend = !watchOnly && live && state.senders.indexOf(me) !== -1;
    show(buttons.start, canSend && !local && !starting);
    [buttons.camera, buttons.mic, buttons.stop].forEach(function (b) { show(b, !!local); });
    show(buttons.flip, !!local && hasManyCameras);
    var receiving = Object.keys(recvs).some(function (id) { return recvs[id].stream; });
    show(buttons.sound, receiving);
    buttons.sound.textContent = soundOn ? msg.msgSoundOff : msg.msgSoundOn;
    if (receiving && !soundOn && !statusLine.textContent) say(msg.msgTapHint);
  }

  // --- peer connections -------------------------------------------------------------

  function newPeer(peerId, role) {
    var pc = new RTCPeerConnection({ iceServers: (state && state.ice_servers) || [] });
    var entry = { pc: pc, restarted: false, queue: [], stream: null };
    pc.onicecandidate = function (e) {
      send("rtc:ice", { to: peerId, role: role, candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    pc.oniceconnectionstatechange = function () {
      if (pc.iceConnectionState === "failed") iceFailed(peerId, role, entry);
    };
    return entry;
  }

  function iceFailed(peerId, role, entry) {
    // Restart ICE once; after a second failure say what happened and let the show go on.
    if (!entry.restarted) {
      entry.restarted = true;
      if (role === "send") offer(peerId, entry, true);
      return;
    }
    if (role === "recv") {
      closePeer(recvs, peerId);
      say(msg.msgIceFailed);
      render();
    } else {
      closePeer(sends, peerId);
    }
  }

  function closePeer(table, peerId) {
    var entry = table[peerId];
    if (!entry) return;
    delete table[peerId];
    try { entry.pc.close(); } catch (e) { /* already closed */ }
  }

  function flushCandidates(entry) {
    entry.queue.splice(0).forEach(function (c) { entry.pc.addIceCandidate(c).catch(function () {}); });
  }

  function offer(viewerId, entry, restart) {
    entry.pc.createOffer(restart ? { iceRestart: true } : {})
      .then(function (description) { return entry.pc.setLocalDescription(description); })
      .then(function () { send("rtc:offer", { to: viewerId, sdp: entry.pc.localDescription.sdp }); })
      .catch(function () { closePeer(sends, viewerId); });
  }

  function startSending(viewerId) {
    if (!local) return;
    // An offer to this viewer is in flight: a second ask (state refresh and `rtc:ready`
    // both ask) must not replace the connection the viewer is answering.
    if (sends[viewerId] && sends[viewerId].pc.signalingState === "have-local-offer") return;
    if (!sends[viewerId] && Object.keys(sends).length >= (state.max_viewers || 8)) {
      send("rtc:stop", { to: viewerId, reason: "full" });
      return;
    }
    closePeer(sends, viewerId);
    var entry = newPeer(viewerId, "send");
    sends[viewerId] = entry;
    local.getTracks().forEach(function (track) { entry.pc.addTrack(track, local); });
    offer(viewerId, entry, false);
  }

  function fingerprint(sdp) {
    var match = /a=fingerprint:(\S+ \S+)/.exec(sdp || "");
    return match ? match[1] : "";
  }

  function receive(senderId, sdp) {
    var entry = recvs[senderId];
    // The same fingerprint is the same sending connection (an ICE restart); a new one is a
    // new connection from the sender, which needs a fresh one here too.
    var current = entry && entry.pc.remoteDescription && entry.pc.remoteDescription.sdp;
    if (entry && current && fingerprint(current) !== fingerprint(sdp)) {
      closePeer(recvs, senderId);
      entry = null;
    }
    if (!entry || entry.pc.signalingState === "closed") {
      closePeer(recvs, senderId);
      entry = newPeer(senderId, "recv");
      recvs[senderId] = entry;
      entry.pc.ontrack = function (e) {
        entry.stream = e.streams[0] || new MediaStream([e.track]);
        if (statusLine.textContent === msg.msgWaiting) say("");
        render();
      };
    }
    entry.pc.setRemoteDescription({ type: "offer", sdp: sdp })
      .then(function () { flushCandidates(entry); return entry.pc.createAnswer(); })
      .then(function (answer) { return entry.pc.setLocalDescription(answer); })
      .then(function () { send("rtc:answer", { to: senderId, sdp: entry.pc.localDescription.sdp }); })
      .catch(function () { closePeer(recvs, senderId); render(); });
  }

  function stopReceiving(senderId) {
    closePeer(recvs, senderId);
    delete wanted[senderId];
  }

  // --- my camera --------------------------------------------------------------------

  var hasManyCameras = false;

  function constraints() {
    // Gallery tiles are small and every phone sends to all the others: send them small.
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
    navigator.mediaDevices.getUserMedia(constraints()).then(function (stream) {
      starting = false;
      var allowed = state && state.live && state.senders.indexOf(me) !== -1;
      if (!allowed) { stream.getTracks().forEach(function (t) { t.stop(); }); render(); return; }
      local = stream;
      say(msg.msgLive);
      navigator.mediaDevices.enumerateDevices().then(function (devices) {
        hasManyCameras = devices.filter(function (d) { return d.kind === "videoinput"; }).length > 1;
        render();
      }).catch(function () {});
      render();
      send("rtc:ready", {});
    }).catch(function (error) {
      starting = false;
      say(cameraError(error));
      render();
    });
  }

  function stopCamera(reason) {
    if (local) local.getTracks().forEach(function (t) { t.stop(); });
    local = null;
    var viewers = Object.keys(sends);
    viewers.forEach(function (id) { closePeer(sends, id); });
    if (viewers.length) send("rtc:stop", { reason: reason || "ended" });
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
      Object.keys(sends).forEach(function (id) {
        sends[id].pc.getSenders().forEach(function (s) {
          if (s.track && s.track.kind === "video") s.replaceTrack(track);
        });
      });
      if (old) { local.removeTrack(old); old.stop(); }
      local.addTrack(track);
      render();
    }).catch(function (error) { say(cameraError(error)); });
  }

  buttons.start.addEventListener("click", startCamera);
  buttons.stop.addEventListener("click", function () { stopCamera("ended"); say(""); });
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

  // --- the server's view of the stage ---------------------------------------------

  function apply(next) {
    if (!next) return;
    state = next;
    var senders = state.live ? state.senders : [];
    if (local && senders.indexOf(me) === -1) {
      // The turn passed: the camera light goes off now, not at the next refresh.
      stopCamera("ended");
      say("");
    }
    Object.keys(recvs).forEach(function (id) {
      if (senders.indexOf(parseInt(id, 10)) === -1) stopReceiving(id);
    });
    Object.keys(wanted).forEach(function (id) {
      if (senders.indexOf(parseInt(id, 10)) === -1) delete wanted[id];
    });
    senders.forEach(function (id) {
      if (id !== me && !recvs[id] && !wanted[id]) {
        wanted[id] = true;
        send("rtc:want", { to: id });
      }
    });
    if (state.live && state.mode === "stage" && state.performer_id === me && !local && !starting) {
      say(msg.msgYouAreOn);
    } else if (state.live && state.performer_id && state.performer_id !== me && !recvs[state.performer_id]) {
      if (!statusLine.textContent || statusLine.textContent === msg.msgYouAreOn) say(msg.msgWaiting);
    } else if (statusLine.textContent === msg.msgYouAreOn || statusLine.textContent === msg.msgWaiting) {
      say("");
    }
    render();
  }

  function refresh() {
    fetch(msg.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(apply)
      .catch(function () {});
  }

  function mine(payload) { return payload && payload.room_id === roomId; }

  function listen(s) {
    s.on("rtc:ready", function (p) {
      if (!mine(p) || p.from === me) return;
      stopReceiving(p.from);
      wanted[p.from] = true;
      send("rtc:want", { to: p.from });
    });
    s.on("rtc:want", function (p) { if (mine(p) && p.from !== me) startSending(p.from); });
    s.on("rtc:offer", function (p) { if (mine(p)) receive(p.from, p.sdp); });
    s.on("rtc:answer", function (p) {
      var entry = mine(p) && sends[p.from];
      if (!entry) return;
      entry.pc.setRemoteDescription({ type: "answer", sdp: p.sdp })
        .then(function () { flushCandidates(entry); })
        .catch(function () { closePeer(sends, p.from); });
    });
    s.on("rtc:ice", function (p) {
      if (!mine(p)) return;
      // A viewer's candidates go to my sending side, a sender's to my receiving side.
      var entry = p.role === "recv" ? sends[p.from] : recvs[p.from];
      if (!entry || !p.candidate) return;
      if (entry.pc.remoteDescription) entry.pc.addIceCandidate(p.candidate).catch(function () {});
      else entry.queue.push(p.candidate);
    });
    s.on("rtc:stop", function (p) {
      if (!mine(p)) return;
      if (sends[p.from]) closePeer(sends, p.from);
      if (recvs[p.from] || p.reason === "full") {
        stopReceiving(p.from);
        if (p.reason === "full") say(msg.msgFull);
        render();
      }
    });
  }

  root.addEventListener("encore-stage", refresh);
  // On every (re)connect: a new socket id, so renegotiate everything from scratch.
  document.addEventListener("encore:connect", function () {
    if (statusLine.textContent === msg.msgReconnecting) say("");
    Object.keys(recvs).forEach(stopReceiving);
    wanted = {};
    if (local) {
      Object.keys(sends).forEach(function (id) { closePeer(sends, id); });
      send("rtc:ready", {});
    }
    refresh();
  });
  window.addEventListener("pagehide", function () {
    stopCamera("left");
    Object.keys(recvs).forEach(function (id) { closePeer(recvs, id); });
  });

  var tries = 0;
  function boot() {
    var s = socket();
    // app.js makes the socket; without it (no Socket.IO) the show goes on without video.
    if (!s) { if (++tries < 50) window.setTimeout(boot, 100); return; }
    listen(s);
    s.on("disconnect", function () {
      if (local || Object.keys(recvs).length) say(msg.msgReconnecting);
    });
    if (s.connected) refresh();
  }
  boot();
})();
