/* The Share button of a room's invite panel.
 *
 * Phones get the system share sheet (Web Share API); elsewhere the link is copied to the
 * clipboard and a toast confirms it. The words come from the server in data attributes.
 * Without JavaScript the button stays hidden and the link is there to copy by hand.
 */
(function () {
  "use strict";

  function toast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + kind;
    el.setAttribute("role", "status");
    el.textContent = text;
    box.appendChild(el);
    window.setTimeout(function () { el.remove(); }, 7000);
  }

  function copyByHand(panel, url) {
    var input = panel.querySelector(".share-link");
    if (!input) return false;
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function copy(panel, url) {
    var done = function () { toast(panel.getAttribute("data-copied"), "success"); };
    var failed = function () {
      if (copyByHand(panel, url)) done();
      else toast(panel.getAttribute("data-copy-failed"), "warning");
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(url).then(done, failed);
    } else {
      failed();
    }
  }

  function share(panel) {
    var url = panel.getAttribute("data-share-url");
    var data = {
      title: panel.getAttribute("data-share-title"),
      text: panel.getAttribute("data-share-text"),
      url: url
    };
    if (typeof navigator.share === "function" && (!navigator.canShare || navigator.canShare(data))) {
      navigator.share(data).catch(function (error) {
        // Closing the share sheet is a choice, not a failure; anything else falls back.
        if (!error || error.name !== "AbortError") copy(panel, url);
      });
      return;
    }
    copy(panel, url);
  }

  function wire(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-share]"), function (panel) {
      var button = panel.querySelector("[data-share-button]");
      if (!button || button.hasAttribute("data-wired")) return;
      button.setAttribute("data-wired", "");
      button.hidden = false;
      button.addEventListener("click", function () { share(panel); });
    });
  }

  wire(document);
  document.addEventListener("htmx:load", function (e) { wire(e.target); });
})();
