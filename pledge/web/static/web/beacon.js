// Pledge's first-party web beacon: one event when a page is shown, one with the seconds it
// was visible when it is hidden or left. It reads no cookie and stores nothing in the
// browser; the server decides from the consent cookie whether the visitor is recognised
// (analytics consent) or counted anonymously (no cookie, no stored IP address).
(function () {
  "use strict";
  var endpoint = "/beacon";

  // 32 hex digits, time first (milliseconds, then 80 random bits), like the server's ids:
  // a retried event keeps its id and is stored once.
  function randomId() {
    var bytes = new Uint8Array(10);
    window.crypto.getRandomValues(bytes);
    var random = Array.prototype.map.call(bytes, function (value) {
      return ("0" + value.toString(16)).slice(-2);
    }).join("");
    return ("000000000000" + Date.now().toString(16)).slice(-12) + random;
  }

  function send(fields) {
    var body = new URLSearchParams(fields);
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) {
      return;
    }
    if (window.fetch) {
      window.fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "same-origin" });
    }
  }

  var viewId = randomId();
  var visibleMs = 0;
  var visibleSince = document.visibilityState === "visible" ? Date.now() : null;

  function leave() {
    if (visibleSince !== null) {
      visibleMs += Date.now() - visibleSince;
      visibleSince = null;
    }
    send({ k: "leave", v: viewId, s: String(Math.round(visibleMs / 1000)) });
  }

  send({
    k: "view",
    id: viewId,
    p: location.pathname + location.search,
    r: document.referrer,
    l: navigator.language || ""
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      leave();
    } else if (visibleSince === null) {
      visibleSince = Date.now();
    }
  });
  window.addEventListener("pagehide", leave);
})();
