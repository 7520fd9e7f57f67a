/* The booking page (web/booking/choose.html): times in the visitor's own zone, as a week grid.
 *
 * On a first visit (no ?tz= yet, data-detect) the browser's zone is read from Intl and the page
 * reloads with it, unless it is the zone already shown. Then the week grid replaces the grouped
 * list (the page without JavaScript keeps the list), and choosing another zone in the select
 * shows the times in it at once. Loaded as a file: the site's CSP refuses inline script.
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-booking]");
  if (!root) {
    return;
  }
  if (root.hasAttribute("data-detect")) {
    var detected = "";
    try {
      detected = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      detected = "";
    }
    if (detected && detected !== root.getAttribute("data-zone")) {
      var params = new URLSearchParams(window.location.search);
      params.set("tz", detected);
      window.location.replace(window.location.pathname + "?" + params.toString());
      return;
    }
  }
  root.classList.add("booking-js");
  var select = root.querySelector("[data-zone-select]");
  if (select && select.form) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  }
})();
