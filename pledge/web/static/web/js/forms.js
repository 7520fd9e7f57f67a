/* Pledge forms: solve the form's proof-of-work challenge in the background, and lead the
 * visitor from the error summary to each field in error.
 *
 * The server signs a SHA-256 challenge; finding the number behind it costs this browser a
 * second or two and a spam robot much more at scale. Once solved, the small sum the form shows
 * for browsers without JavaScript is hidden and no longer asked.
 */
(function () {
  "use strict";

  var encoder = new TextEncoder();

  function hex(buffer) {
    return Array.prototype.map
      .call(new Uint8Array(buffer), function (byte) { return byte.toString(16).padStart(2, "0"); })
      .join("");
  }

  async function solve(challenge) {
    var batch = 256;
    for (var start = 0; start <= challenge.maxnumber; start += batch) {
      var attempts = [];
      for (var number = start; number < start + batch && number <= challenge.maxnumber; number++) {
        attempts.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + number)));
      }
      var digests = await Promise.all(attempts);
      for (var index = 0; index < digests.length; index++) {
        if (hex(digests[index]) === challenge.challenge) { return start + index; }
      }
    }
    return null;
  }

  /* Started as a worker (this same file, see solved): search off the page's main thread, so
   * the page answers clicks and keys at once while the search runs. */
  if (typeof document === "undefined") {
    self.onmessage = function (event) {
      solve(event.data).then(function (number) { self.postMessage(number); });
    };
    return;
  }
  var source = document.currentScript ? document.currentScript.src : "";

  /* The number behind the challenge: from a worker where the browser starts one, else here. */
  function solved(challenge) {
    if (!source || !window.Worker) { return solve(challenge); }
    return new Promise(function (resolve) {
      var worker;
      try { worker = new Worker(source); } catch (error) { resolve(solve(challenge)); return; }
      worker.onmessage = function (event) { worker.terminate(); resolve(event.data); };
      worker.onerror = function (event) {
        event.preventDefault();
        worker.terminate();
        resolve(solve(challenge));
      };
      worker.postMessage(challenge);
    });
  }

  function prepare(form) {
    var challenge = JSON.parse(form.getAttribute("data-challenge"));
    var answer = form.querySelector("input[name=pow]");
    var sum = form.querySelector(".human-sum");
    if (!window.crypto || !crypto.subtle || !answer) { return; }
    solved(challenge).then(function (number) {
      if (number === null) { return; }
      var solution = Object.assign({}, challenge, { number: number });
      answer.value = btoa(JSON.stringify(solution));
      if (sum) {
        sum.hidden = true;
        var input = sum.querySelector("input");
        if (input) { input.required = false; }
      }
    });
  }

  /* The error summary: focused when the page opens (autofocus does it too, where the browser
   * honours it on any focusable element), and each of its links moves the focus to its field,
   * not only the view. */
  function summarise(summary) {
    if (document.activeElement !== summary) { summary.focus(); }
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) { return; }
        event.preventDefault();
        target.focus();
        target.scrollIntoView({ block: "center" });
      });
    });
  }

  document.querySelectorAll("form[data-challenge]").forEach(prepare);
  document.querySelectorAll(".error-summary").forEach(summarise);
})();
