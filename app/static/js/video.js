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
  var Stage = window.EncoreVideoStage;  // video-stage.js: tiles, buttons, camera helpers
  var ui = Stage.controls(root);
  var msg = ui.msg, me = ui.me, roomId = ui.roomId, watchOnly = ui.watchOnly;
  var say = ui.say;

  var state = null;          // the last /video answer
  var local = null;          // my MediaStream while my camera is on
  var starting = false;      // getUserMedia in progress
  var facing = "user";
  var soundOn = false;       // the viewer tapped for sound
  var hasManyCameras = false;
  var sends = {};            // viewer id → {pc, restarted, queue}
  var recvs = {};            // sender id → {pc, restarted, queue, stream}
  var wanted = {};           // sender id → true once asked for since the last state change

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

  // --- the stage ----------------------------------------------------------------------

  function streamOf(userId) {
    if (userId === me) return local;
    return recvs[userId] ? recvs[userId].stream : null;
  }

  function render() {
    var live = !!(state && state.live);
    Stage.render(ui, {
      state: state,
      senders: state ? state.senders : [],
      streamOf: streamOf,
      local: local,
      starting: starting,
      canSend: !watchOnly && live && state.senders.indexOf(me) !== -1,
      hasManyCameras: hasManyCameras,
      soundOn: soundOn,
      receiving: Object.keys(recvs).some(function (id) { return recvs[id].stream; })
    });
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
      // The viewer's side may not have noticed yet: tell it, so it can say what happened.
      closePeer(sends, peerId);
      send("rtc:stop", { to: peerId, reason: "failed" });
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
        if (ui.saying(msg.msgWaiting)) say("");
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

  // --- my camera ---------------------------------------------------------------------

  function startCamera() {
    if (watchOnly || local || starting) return;
    starting = true;
    render();
    navigator.mediaDevices.getUserMedia(Stage.constraints(state, facing)).then(function (stream) {
      starting = false;
      var allowed = state && state.live && state.senders.indexOf(me) !== -1;
      if (!allowed) { stream.getTracks().forEach(function (t) { t.stop(); }); render(); return; }
      local = stream;
      say(msg.msgLive);
      Stage.countCameras(function (many) { hasManyCameras = many; render(); });
      render();
      send("rtc:ready", {});
    }).catch(function (error) {
      starting = false;
      say(Stage.cameraError(ui, error));
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

  function switchCamera() {
    if (!local) return;
    facing = facing === "user" ? "environment" : "user";
    navigator.mediaDevices.getUserMedia({ video: Stage.constraints(state, facing).video }).then(function (stream) {
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
    }).catch(function (error) { say(Stage.cameraError(ui, error)); });
  }

  Stage.bindButtons(ui, {
    start: startCamera,
    stop: function () { stopCamera("ended"); },
    flip: switchCamera,
    local: function () { return local; },
    toggleSound: function () { soundOn = !soundOn; render(); }
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
    Stage.sayStageStatus(ui, state, local, starting, !!recvs[state.performer_id]);
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
        if (p.reason === "failed") say(msg.msgIceFailed);
        render();
      }
    });
  }

  root.addEventListener("encore-stage", refresh);
  // On every (re)connect: a new socket id, so renegotiate everything from scratch.
  document.addEventListener("encore:connect", function () {
    if (ui.saying(msg.msgReconnecting)) say("");
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
