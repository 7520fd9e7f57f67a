// The footer's "Cookie settings" link reopens the consent banner on the page itself.
// Without JavaScript the link opens the settings page, which holds the same choices.
(function () {
  "use strict";
  var banner = document.getElementById("consent-banner");
  var links = document.querySelectorAll("[data-consent-reopen]");
  if (!banner) {
    return;
  }
  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      banner.hidden = false;
      banner.scrollIntoView();
      var first = banner.querySelector("button");
      if (first) {
        first.focus();
      }
    });
  });
})();
