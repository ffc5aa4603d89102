// Live updates: the event stream names the conversations that changed; each part of the page
// marked data-live-src is re-read (a conversation's parts only when it changed) and replaced
// only when the server's fragment differs from what the page shows.
(function () {
  "use strict";
  var regions = document.querySelectorAll("[data-live-src]");

  function scrollDown() {
    var box = document.getElementById("messages");
    if (box) { box.scrollTop = box.scrollHeight; }
  }

  function refresh(region) {
    fetch(region.getAttribute("data-live-src"), {credentials: "same-origin", headers: {"X-Live": "1"}})
      .then(function (response) {
        if (response.status === 401) { window.location.assign("/signin"); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        // Unchanged parts stay as they are, so what staff have typed or ticked there survives.
        var fresh = region.cloneNode(false);
        fresh.innerHTML = html;
        if (fresh.isEqualNode(region)) { return; }
        region.innerHTML = html;
        if (region.id === "live-messages") { scrollDown(); }
      });
  }

  function changed(event) {
    var ids = JSON.parse(event.data).sessions;
    regions.forEach(function (region) {
      var only = region.getAttribute("data-live-session");
      if (!only || ids.indexOf(Number(only)) >= 0) { refresh(region); }
    });
  }

  document.querySelectorAll("[data-quick]").forEach(function (button) {
    button.addEventListener("click", function () {
      var box = document.querySelector("#reply textarea");
      if (box) { box.value = button.getAttribute("data-quick"); box.focus(); }
    });
  });
  var reply = document.querySelector("#reply textarea");
  var TYPING_EVERY = 15000;  // WeChat shows the indicator for 15 s
  var typingSent = 0;
  function typing() {
    var now = Date.now();
    if (now - typingSent < TYPING_EVERY) { return; }
    typingSent = now;
    var token = reply.form.querySelector("input[type=hidden]");
    fetch(reply.form.getAttribute("action").replace(/reply$/, "typing"), {
      method: "POST", credentials: "same-origin", headers: {"X-CSRF-Token": token ? token.value : ""}
    });
  }
  if (reply) {
    reply.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { reply.form.requestSubmit(); }
    });
    reply.addEventListener("input", typing);
  }
  scrollDown();
  if (regions.length && window.EventSource) {
    new EventSource("/events").addEventListener("change", changed);
  }
}());
