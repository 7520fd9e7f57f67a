/* Pledge forms: solve the form's proof-of-work challenge in the background.
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

  function prepare(form) {
    var challenge = JSON.parse(form.getAttribute("data-challenge"));
    var answer = form.querySelector("input[name=pow]");
    var sum = form.querySelector(".human-sum");
    if (!window.crypto || !crypto.subtle || !answer) { return; }
    solve(challenge).then(function (number) {
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

  document.querySelectorAll("form[data-challenge]").forEach(prepare);
})();
