// Voice and video calls of a consultation, peer to peer over WebRTC. MedLoop only relays the
// signalling (offer, answer, ICE candidates, hang-up) on the consultation's WebSocket, between
// its two parties. Metering follows the connection: the caller reports "connected" when the
// media flows and "ended" when either side hangs up, the media is refused or the link drops,
// so a call that never connects costs nothing.
(function () {
  "use strict";
  var panel = document.getElementById("call");
  var live = window.MedLoopConsultation;
  var startButton = document.getElementById("call-start");
  if (!panel || !live || !startButton) { return; }
  var answerButton = document.getElementById("call-answer");
  var hangupButton = document.getElementById("call-hangup");
  var localVideo = document.getElementById("local-video");
  var remoteVideo = document.getElementById("remote-video");
  var status = document.getElementById("call-status");
  var strings = document.getElementById("call-strings").dataset;
  var csrf = document.getElementById("main").dataset.csrf;
  var video = panel.dataset.video === "true";
  var iceServers = [];
  try { iceServers = JSON.parse(panel.dataset.iceServers || "[]"); } catch (error) { iceServers = []; }

  var peer = null, stream = null, offer = null, candidates = [], callId = null, isCaller = false, ended = true;

  if (!window.RTCPeerConnection || !navigator.mediaDevices) {
    say(strings.unsupported, "unsupported");
    startButton.hidden = true;
    return;
  }

  function say(text, state) { status.textContent = text; panel.dataset.callState = state; }
  function signal(body) { return live.send({ type: "signal", signal: body }); }
  function show(calling) {
    startButton.hidden = calling;
    hangupButton.hidden = !calling;
    answerButton.hidden = true;
  }

  function post(path) {
    return fetch(path, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      });
  }

  function media() {
    return navigator.mediaDevices.getUserMedia({ audio: true, video: video }).then(function (granted) {
      stream = granted;
      localVideo.srcObject = granted;
      return granted;
    });
  }

  function connect() {
    peer = new RTCPeerConnection({ iceServers: iceServers });
    peer.onicecandidate = function (event) {
      if (event.candidate) { signal({ kind: "candidate", candidate: event.candidate.toJSON() }); }
    };
    peer.ontrack = function (event) {
      var remote = event.streams[0] || new MediaStream([event.track]);
      remoteVideo.srcObject = remote;
      panel.dataset.remoteTracks = String(remote.getTracks().length);
    };
    peer.onconnectionstatechange = function () {
      var state = peer ? peer.connectionState : "closed";
      if (state === "connected") { connected(); }
      else if (state === "failed" || state === "disconnected") { finish(strings.dropped, "dropped", true); }
    };
    stream.getTracks().forEach(function (track) { peer.addTrack(track, stream); });
  }

  function connected() {
    say(strings.connected, "connected");
    if (!isCaller || callId) { return; }
    post("/consultations/" + live.id + "/calls").then(function (answer) {
      if (answer.ok) {
        callId = answer.body.id;
        signal({ kind: "connected", callId: callId });
      } else {
        say(answer.body.error.message, "refused");
        finish(answer.body.error.message, "refused", true);
      }
    });
  }

  function flushCandidates() {
    candidates.splice(0).forEach(function (candidate) { peer.addIceCandidate(candidate).catch(function () {}); });
  }

  // Ends the call here: stops the media and, when this side knows the call, its metering.
  function finish(text, state, tellOther) {
    if (ended) { return; }
    ended = true;
    if (tellOther) { signal({ kind: "hangup" }); }
    var stopped = callId ? post("/consultations/" + live.id + "/calls/" + callId + "/end") : Promise.resolve(null);
    if (peer) { peer.onconnectionstatechange = null; peer.close(); peer = null; }
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
    callId = null;
    offer = null;
    candidates = [];
    show(false);
    say(text, state);
    stopped.then(refreshHistory, refreshHistory);
  }

  function refreshHistory() {
    fetch(location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("call-history");
        if (fresh) { document.getElementById("call-history").innerHTML = fresh.innerHTML; }
      })
      .catch(function () {});
  }

  function refused(error) {
    var text = error && (error.name === "NotAllowedError" || error.name === "NotFoundError" || error.name === "NotReadableError")
      ? strings.mediaRefused : (error && error.message) || strings.dropped;
    finish(text, "refused", true);
  }

  startButton.addEventListener("click", function () {
    ended = false;
    isCaller = true;
    show(true);
    say(strings.calling, "calling");
    media()
      .then(function () { connect(); return peer.createOffer(); })
      .then(function (description) { return peer.setLocalDescription(description); })
      .then(function () {
        if (!signal({ kind: "offer", sdp: peer.localDescription.sdp })) { finish(strings.dropped, "dropped", false); }
      })
      .catch(refused);
  });

  answerButton.addEventListener("click", function () {
    if (!offer) { return; }
    ended = false;
    isCaller = false;
    show(true);
    media()
      .then(function () { connect(); return peer.setRemoteDescription({ type: "offer", sdp: offer }); })
      .then(function () { flushCandidates(); return peer.createAnswer(); })
      .then(function (description) { return peer.setLocalDescription(description); })
      .then(function () { signal({ kind: "answer", sdp: peer.localDescription.sdp }); })
      .catch(refused);
  });

  hangupButton.addEventListener("click", function () { finish(strings.ended, "ended", true); });

  live.on("signal", function (frame) {
    var message = frame.signal || {};
    switch (message.kind) {
      case "offer":
        offer = message.sdp;
        candidates = [];
        say(strings.ringing, "ringing");
        startButton.hidden = true;
        answerButton.hidden = false;
        break;
      case "answer":
        if (peer) { peer.setRemoteDescription({ type: "answer", sdp: message.sdp }).then(flushCandidates).catch(refused); }
        break;
      case "candidate":
        if (peer && peer.remoteDescription) { peer.addIceCandidate(message.candidate).catch(function () {}); }
        else { candidates.push(message.candidate); }
        break;
      case "connected":
        callId = message.callId;
        break;
      case "hangup":
        if (ended && offer) { offer = null; show(false); say(strings.ended, "ended"); }
        else { callId = isCaller ? callId : null; finish(strings.ended, "ended", false); }
        break;
    }
  });

  window.addEventListener("pagehide", function () { finish(strings.ended, "ended", true); });
}());
