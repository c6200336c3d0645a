/* Highlights glue: live like counts on a post page. Comments refresh themselves through
 * htmx (the comment list listens for "post:comments"); this only patches counts in place.
 */
(function () {
  "use strict";
  document.addEventListener("encore:post:likes", function (e) {
    var p = e.detail || {};
    var key = p.comment_id == null ? "post-" + p.post_id : "comment-" + p.comment_id;
    Array.prototype.forEach.call(document.querySelectorAll('[data-like-count="' + key + '"]'), function (el) {
      el.textContent = String(p.count);
    });
  });
})();
