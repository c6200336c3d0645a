/*
 * What the two stage-camera topologies share (docs/video.md): the page's controls and
 * text, the video tiles, the camera's constraints and errors, the track toggles and the
 * status line. video.js (peer to peer) and video-janus.js (the media server) each keep
 * their own connections and state, and hand this module what it needs to draw them.
 */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };

  /* The stage's elements, its text (data-msg-*) and who is looking. */
  function controls(root) {
    var msg = root.dataset;
    var statusLine = $("video-status");
    // A spectator (watching without a seat) only receives: the page has no camera buttons
    // for them, so detached stand-ins keep the callers simple, and nothing ever sends.
    function control(id) { return $(id) || document.createElement("button"); }
    return {
      root: root,
      msg: msg,
      me: parseInt(msg.viewerId, 10),
      roomId: parseInt(msg.roomId, 10),
      watchOnly: msg.watchOnly === "true",
      mainBox: $("video-main"),
      gallery: $("video-gallery"),
      statusLine: statusLine,
      buttons: {
        start: control("video-start"), camera: control("video-toggle-camera"),
        mic: control("video-toggle-mic"), flip: control("video-switch"), stop: control("video-stop"),
        sound: $("video-sound")
      },
      tiles: {},  // user id → <figure>
      say: function (text) { statusLine.textContent = text || ""; },
      saying: function (text) { return statusLine.textContent === text; }
    };
  }

  function show(el, on) { el.hidden = !on; }

  function tile(ui, state, userId) {
    var figure = ui.tiles[userId];
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
      ui.tiles[userId] = figure;
    }
    return figure;
  }

  /*
   * Draw the stage: a tile for every sender whose stream is here (the performer large, the
   * gallery small), and the buttons that fit. `view` = {state, senders, streamOf(id),
   * local, starting, canSend, hasManyCameras, soundOn, receiving}.
   */
  function render(ui, view) {
    var state = view.state;
    var live = !!(state && state.live);
    ui.root.hidden = !live;
    var showing = {};
    view.senders.forEach(function (id) { if (view.streamOf(id)) showing[id] = true; });
    Object.keys(ui.tiles).forEach(function (id) {
      if (!showing[id]) { ui.tiles[id].remove(); delete ui.tiles[id]; }
    });
    Object.keys(showing).forEach(function (key) {
      var id = parseInt(key, 10);
      var video = tile(ui, state, id).querySelector("video");
      var stream = view.streamOf(id);
      if (video.srcObject !== stream) video.srcObject = stream;
      // My own preview stays muted; others follow the viewer's sound choice.
      video.muted = id === ui.me || !view.soundOn;
      var box = (id === state.performer_id || state.mode === "stage") ? ui.mainBox : ui.gallery;
      var figure = ui.tiles[id];
      if (figure.parentNode !== box) box.appendChild(figure);
      var played = video.play();
      if (played && played.catch) played.catch(function () {});
    });
    var b = ui.buttons;
    show(b.start, live && view.canSend && !view.local && !view.starting);
    [b.camera, b.mic, b.stop].forEach(function (button) { show(button, !!view.local); });
    show(b.flip, !!view.local && view.hasManyCameras);
    show(b.sound, view.receiving);
    b.sound.textContent = view.soundOn ? ui.msg.msgSoundOff : ui.msg.msgSoundOn;
    if (view.receiving && !view.soundOn && !ui.statusLine.textContent) ui.say(ui.msg.msgTapHint);
  }

  /* Tell the performer to turn the camera on, and viewers that it is coming. */
  function sayStageStatus(ui, state, local, starting, receivingPerformer) {
    var msg = ui.msg;
    if (state.live && state.mode === "stage" && state.performer_id === ui.me && !local && !starting) {
      ui.say(msg.msgYouAreOn);
    } else if (state.live && state.performer_id && state.performer_id !== ui.me && !receivingPerformer) {
      if (!ui.statusLine.textContent || ui.saying(msg.msgYouAreOn)) ui.say(msg.msgWaiting);
    } else if (ui.saying(msg.msgYouAreOn) || ui.saying(msg.msgWaiting)) {
      ui.say("");
    }
  }

  function constraints(state, facing) {
    // Gallery tiles are small and every phone sends to all the others: send them small.
    var video = state && state.mode === "everyone"
      ? { facingMode: facing, width: { ideal: 320 }, height: { ideal: 240 }, frameRate: { max: 15 } }
      : { facingMode: facing, width: { ideal: 640 }, height: { ideal: 480 } };
    return { audio: true, video: video };
  }

  function cameraError(ui, error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return ui.msg.msgDenied;
    if (name === "NotFoundError" || name === "OverconstrainedError") return ui.msg.msgNoCamera;
    return ui.msg.msgCameraFailed;
  }

  /* Call back with whether this device has more than one camera (the switch button). */
  function countCameras(callback) {
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      callback(devices.filter(function (d) { return d.kind === "videoinput"; }).length > 1);
    }).catch(function () {});
  }

  function toggleTrack(local, kind, button, offText, onText) {
    if (!local) return;
    local.getTracks().filter(function (t) { return t.kind === kind; }).forEach(function (t) {
      t.enabled = !t.enabled;
      button.textContent = t.enabled ? offText : onText;
      button.setAttribute("aria-pressed", String(!t.enabled));
    });
  }

  /*
   * Wire the buttons. `actions` = {start(), stop(), flip(), local(), toggleSound()}: the
   * topology starts, stops and switches its camera; the toggles work on its stream.
   */
  function bindButtons(ui, actions) {
    var b = ui.buttons, msg = ui.msg;
    b.start.addEventListener("click", actions.start);
    b.stop.addEventListener("click", function () { actions.stop(); ui.say(""); });
    b.camera.addEventListener("click", function () {
      toggleTrack(actions.local(), "video", b.camera, msg.msgCameraOff, msg.msgCameraOn);
    });
    b.mic.addEventListener("click", function () {
      toggleTrack(actions.local(), "audio", b.mic, msg.msgMicOff, msg.msgMicOn);
    });
    b.flip.addEventListener("click", actions.flip);
    b.sound.addEventListener("click", function () {
      if (ui.saying(msg.msgTapHint)) ui.say("");
      actions.toggleSound();
    });
  }

  window.EncoreVideoStage = {
    controls: controls,
    render: render,
    sayStageStatus: sayStageStatus,
    constraints: constraints,
    cameraError: cameraError,
    countCameras: countCameras,
    bindButtons: bindButtons
  };
})();
