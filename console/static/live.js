// Live updates: the event stream names the conversations that changed; each part of the page
// marked data-live-src is re-read (a conversation's parts only when it changed) and replaced
// only when the server's fragment differs from what the page shows. Parts sharing a source
// (the open conversation's messages, status and moves) come in one response, each taken from
// its data-part; a source is read once at a time, a change arriving meanwhile reads it once more.
(function () {
  "use strict";
  var regions = document.querySelectorAll("[data-live-src]");
  var reading = {};  // source -> "busy" while read, "again" when a change came in meanwhile

  function scrollDown() {
    var box = document.getElementById("messages");
    if (box) { box.scrollTop = box.scrollHeight; }
  }

  function place(region, html) {
    // Unchanged parts stay as they are, so what staff have typed or ticked there survives.
    var fresh = region.cloneNode(false);
    fresh.innerHTML = html;
    if (fresh.isEqualNode(region)) { return; }
    region.innerHTML = html;
    if (region.id === "live-messages") { scrollDown(); }
  }

  function spread(group, html) {
    var parsed = document.createElement("template");
    parsed.innerHTML = html;
    group.forEach(function (region) {
      var name = region.getAttribute("data-live-part");
      if (!name) { place(region, html); return; }
      var part = parsed.content.querySelector('[data-part="' + name + '"]');
      if (part) { place(region, part.innerHTML); }
    });
  }

  function refresh(source, group) {
    if (reading[source]) { reading[source] = "again"; return; }
    reading[source] = "busy";
    function done() {
      var again = reading[source] === "again";
      delete reading[source];
      if (again) { refresh(source, group); }
    }
    fetch(source, {credentials: "same-origin", headers: {"X-Live": "1"}})
      .then(function (response) {
        if (response.status === 401) { window.location.assign("/signin"); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) { if (html !== null) { spread(group, html); } })
      .then(done, done);
  }

  function changed(event) {
    var ids = JSON.parse(event.data).sessions;
    var groups = {};
    regions.forEach(function (region) {
      var only = region.getAttribute("data-live-session");
      if (only && ids.indexOf(Number(only)) < 0) { return; }
      var source = region.getAttribute("data-live-src");
      (groups[source] = groups[source] || []).push(region);
    });
    Object.keys(groups).forEach(function (source) { refresh(source, groups[source]); });
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
