/* Copy buttons: <button data-copy="ID" hidden> copies the text of the element with that id,
   one line per list item, and says so in the [data-copied="ID"] status. The button stays
   hidden without JavaScript, where the text is there to select by hand. */
(function () {
  "use strict";

  function textOf(element) {
    var items = element.querySelectorAll("li");
    if (!items.length) return element.textContent.trim();
    return Array.prototype.map.call(items, function (item) {
      return item.textContent.trim();
    }).join("\n") + "\n";
  }

  function copyBySelection(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    return copied;
  }

  function say(id, ok) {
    var status = document.querySelector('[data-copied="' + id + '"]');
    if (status) status.textContent = status.getAttribute(ok ? "data-done" : "data-failed");
  }

  function copy(button) {
    var id = button.getAttribute("data-copy");
    var element = document.getElementById(id);
    if (!element) return;
    var text = textOf(element);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { say(id, true); },
        function () { say(id, copyBySelection(element)); }
      );
    } else {
      say(id, copyBySelection(element));
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  });
})();
