// The live part of a consultation page: the conversation over the consultation's WebSocket.
// Without this script the page still works: the composer posts a plain form.
(function () {
  "use strict";
  var root = document.getElementById("consultation");
  if (!root || !("WebSocket" in window)) { return; }
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("message-text");
  var status = document.getElementById("live-status");
  var strings = document.getElementById("strings").dataset;
  var template = document.getElementById("message-template");
  var role = root.dataset.role;
  var state = root.dataset.state;
  var socket = null;
  var retry = 1000;
  var listeners = {};

  // What the call script uses: send a frame on the socket, hear frames of a type.
  window.MedLoopConsultation = {
    id: root.dataset.id,
    send: function (frame) {
      if (!socket || socket.readyState !== WebSocket.OPEN) { return false; }
      socket.send(JSON.stringify(frame));
      return true;
    },
    on: function (type, listener) { (listeners[type] = listeners[type] || []).push(listener); }
  };

  function say(text) { if (status) { status.textContent = text; } }

  function shown(id) {
    return list.querySelector('[data-id="' + id.toLowerCase() + '"], [data-id="' + id.toUpperCase() + '"]');
  }

  function append(message) {
    if (shown(message.id)) { return; }
    var item = template.content.firstElementChild.cloneNode(true);
    item.dataset.id = message.id;
    if (message.senderRole === role) { item.classList.add("mine"); }
    item.querySelector(".sender").textContent = message.senderRole === "doctor" ? strings.senderDoctor : strings.senderPatient;
    var text = item.querySelector(".text");
    if (message.imageId) {
      var image = document.createElement("img");
      image.src = "/images/" + message.imageId;
      image.alt = "";
      text.appendChild(image);
    } else {
      text.textContent = message.text || "";
    }
    var time = item.querySelector("time");
    time.dateTime = message.sentAt;
    time.textContent = new Date(message.sentAt).toLocaleTimeString(document.documentElement.lang,
      { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" });
    list.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/api/v1/consultations/" + root.dataset.id + "/stream");
    socket.onopen = function () {
      retry = 1000; say(strings.live); root.dataset.live = "open";
      (listeners.open || []).forEach(function (listener) { listener(); });
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      (listeners[data.type] || []).forEach(function (listener) { listener(data); });
      if (data.type === "message") { append(data.message); }
      else if (data.type === "state" && data.state && data.state.event.indexOf("consultation.") === 0
               && data.state.state !== state) { location.reload(); }
      else if (data.type === "error") { say(data.error.message); }
    };
    socket.onclose = function () {
      root.dataset.live = "closed";
      say(strings.offline);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  if (form && input) {
    form.addEventListener("submit", function (event) {
      var text = input.value.trim();
      if (!socket || socket.readyState !== WebSocket.OPEN || text === "") { return; }
      event.preventDefault();
      socket.send(JSON.stringify({ type: "message", text: text }));
      input.value = "";
      input.focus();
    });
  }
  // A picture for the chat: uploaded, then sent on the socket as a message that names it.
  var picture = document.getElementById("picture");
  var chooser = document.getElementById("message-image");
  if (picture && chooser && window.fetch) {
    picture.hidden = false;
    chooser.addEventListener("change", function () {
      var file = chooser.files && chooser.files[0];
      if (!file) { return; }
      fetch("/consultations/" + root.dataset.id + "/images", {
        method: "POST", credentials: "same-origin", body: file,
        headers: { "Content-Type": file.type || "application/octet-stream",
                   "X-CSRF-Token": document.getElementById("main").dataset.csrf }
      })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (answer) {
          if (answer.ok) { window.MedLoopConsultation.send({ type: "message", imageId: answer.body.imageId }); }
          else { say(answer.body.error.message); }
          chooser.value = "";
        })
        .catch(function () { say(strings.offline); chooser.value = ""; });
    });
  }

  // While waiting, the place in the queue follows the patients ahead without a reload.
  var position = document.getElementById("queue-position");
  if (position && state === "waiting" && window.fetch) {
    setInterval(function () {
      fetch(location.href, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("queue-position");
          if (fresh && fresh.textContent !== position.textContent) { position.textContent = fresh.textContent; }
        })
        .catch(function () {});
    }, 5000);
  }
  connect();
}());
