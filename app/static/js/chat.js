/* Encore chat: live lines in sequence order, never twice, with gap fill and reconnect catch-up.
 *
 * Each chat on the page is an element with data-chat, data-channel-id and data-messages-url
 * (and data-read-url for conversations). Lines carry data-seq: 1, 2, 3, … without gaps in
 * a channel. A line that arrives out of order is held back, and the missing range is fetched
 * from `<messages-url>?after=<last seq held>` at once; the same fetch runs after every
 * (re)connect, because pub/sub delivery is at-most-once. Posting stays a form: htmx sends it
 * and the answer (the stored line) is inserted through the same path, so the sender sees it
 * at once and never twice. Without JavaScript the form posts and the page reloads.
 */
(function () {
  "use strict";
  if (window.encoreChat) return;
  var me = document.body.getAttribute("data-user-id");
  var chats = {};

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function parseLines(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return Array.prototype.slice.call(template.content.querySelectorAll("li[data-seq]"));
  }

  function Chat(root) {
    this.root = root;
    this.channelId = root.getAttribute("data-channel-id");
    this.url = root.getAttribute("data-messages-url");
    this.readUrl = root.getAttribute("data-read-url");
    this.log = root.querySelector("[data-chat-log]");
    this.scroller = root.querySelector("[data-chat-scroll]") || this.log;
    this.pending = {};
    this.fetching = false;
    this.again = false;
    this.readTimer = null;
    this.lastRead = 0;
    this.lastSeq = 0;
    // People in a block with the reader: their live lines keep their number but show nothing.
    this.hiddenSenders = (root.getAttribute("data-hidden-senders") || "").split(/\s+/).filter(Boolean);
    var self = this;
    Array.prototype.forEach.call(this.log.querySelectorAll("li[data-seq]"), function (li) {
      self.lastSeq = Math.max(self.lastSeq, parseInt(li.getAttribute("data-seq"), 10));
      self.markMine(li);
    });
    this.scrollToEnd();
    this.wireComposer(root.querySelector("[data-chat-composer]"));
    this.tools = root.querySelector("template[data-line-tools]");
  }

  // Lines pushed live carry the same HTML for everyone; give them this viewer's menu
  // (delete, and the host's timeout), cloned from the template the server rendered for us.
  Chat.prototype.addTools = function (li) {
    var t = this.tools;
    var id = li.getAttribute("data-id");
    var sender = li.getAttribute("data-sender");
    if (!t || !id || !/^\d+$/.test(id) || li.querySelector(".chat-line-tools") ||
        li.classList.contains("chat-line-system") || li.querySelector(".chat-removed")) return;
    var all = t.getAttribute("data-scope") === "all";
    if (!all && sender !== me) return;
    var html = t.innerHTML
      .replace(/\/messages\/0\/delete/g, "/messages/" + id + "/delete")
      .replace(/name="user_id" value="0"/, 'name="user_id" value="' + (sender || "") + '"')
      .replace(/-0"/g, "-" + id + '"');
    var box = document.createElement("template");
    box.innerHTML = html;
    var menu = box.content.firstElementChild;
    if (!menu) return;
    if (sender === me || sender === t.getAttribute("data-room-host")) {
      var timeout = menu.querySelector("[data-line-timeout]");
      if (timeout) timeout.parentNode.removeChild(timeout);
    }
    li.appendChild(menu);
    if (window.htmx) window.htmx.process(menu);
  };

  Chat.prototype.markMine = function (li) {
    if (me && li.getAttribute("data-sender") === me && !li.classList.contains("chat-line-system")) {
      li.classList.add("is-mine");
    }
  };

  Chat.prototype.has = function (seq) {
    return !!this.log.querySelector('li[data-seq="' + seq + '"]');
  };

  Chat.prototype.nearEnd = function () {
    var s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
  };

  Chat.prototype.scrollToEnd = function () {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  };

  // Put a line where its number says, unless it is already shown.
  Chat.prototype.insert = function (li) {
    var seq = parseInt(li.getAttribute("data-seq"), 10);
    if (this.has(seq)) return false;
    var sender = li.getAttribute("data-sender");
    if (sender && this.hiddenSenders.indexOf(sender) !== -1 && !li.classList.contains("chat-line-system")) {
      li.textContent = "";
      li.hidden = true;
      li.classList.add("chat-line-hidden");
    }
    var later = Array.prototype.find.call(this.log.querySelectorAll("li[data-seq]"), function (other) {
      return parseInt(other.getAttribute("data-seq"), 10) > seq;
    });
    this.markMine(li);
    this.addTools(li);
    this.log.insertBefore(li, later || null);
    var empty = this.root.querySelector("[data-chat-empty]");
    if (empty) empty.remove();
    return true;
  };

  // Accept line `seq` (an element or html). Contiguous lines show at once; a gap is fetched.
  Chat.prototype.accept = function (seq, line) {
    var li = typeof line === "string" ? parseLines(line)[0] : line;
    if (!li) return;
    var stick = this.nearEnd();
    if (seq <= this.lastSeq) {
      this.insert(li);
    } else if (seq === this.lastSeq + 1) {
      this.insert(li);
      this.lastSeq = seq;
      while (this.pending[this.lastSeq + 1]) {
        var next = this.pending[this.lastSeq + 1];
        delete this.pending[this.lastSeq + 1];
        this.insert(next);
        this.lastSeq += 1;
      }
    } else {
      this.pending[seq] = li;
      this.catchUp();
    }
    if (stick) this.scrollToEnd();
    this.scheduleRead();
  };

  // Fetch every line after the last one held, until the server says there are no more.
  Chat.prototype.catchUp = function () {
    if (this.fetching) { this.again = true; return; }
    this.fetching = true;
    var self = this;
    var more = false;
    fetch(this.url + "?after=" + this.lastSeq, {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "Accept": "text/html" },
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) throw new Error("history " + response.status);
      more = response.headers.get("X-Chat-More") === "1";
      return response.text();
    }).then(function (html) {
      parseLines(html).forEach(function (li) {
        var seq = parseInt(li.getAttribute("data-seq"), 10);
        delete self.pending[seq];
        self.accept(seq, li);
      });
    }).catch(function () {
      more = false;
    }).then(function () {
      self.fetching = false;
      if (self.again || more) {
        self.again = false;
        self.catchUp();
      }
    });
  };

  // Tell the server how far this reader has read (conversations only, while the page is seen).
  Chat.prototype.scheduleRead = function () {
    if (!this.readUrl || document.visibilityState !== "visible" || this.lastSeq <= this.lastRead) return;
    var self = this;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(function () {
      var seq = self.lastSeq;
      fetch(self.readUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" },
        body: "seq=" + encodeURIComponent(seq)
      }).then(function (response) {
        if (response.ok) self.lastRead = Math.max(self.lastRead, seq);
      }).catch(function () {
        // Offline: the mark stays behind and is sent again after the next line or reconnect.
      });
    }, 600);
  };

  Chat.prototype.wireComposer = function (form) {
    if (!form) return;
    var self = this;
    var input = form.querySelector("textarea[name=body]");
    var clientId = form.querySelector("[data-chat-client-id]");
    if (clientId) clientId.value = newClientId();
    if (input) {
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          if (input.value.trim() && form.getAttribute("aria-busy") !== "true") {
            if (form.requestSubmit) form.requestSubmit(); else form.submit();
          }
        }
      });
    }
    form.addEventListener("htmx:afterRequest", function (e) {
      var xhr = e.detail.xhr;
      if (!e.detail.successful || !xhr) return;  // keep the text and the id: a retry stores it once
      var seq = parseInt(xhr.getResponseHeader("X-Chat-Seq"), 10);
      if (seq) self.accept(seq, xhr.responseText);
      if (input) { input.value = ""; input.focus(); }
      if (clientId) clientId.value = newClientId();
      self.scrollToEnd();
    });
  };

  function setUp(root) {
    Array.prototype.forEach.call(root.querySelectorAll ? root.querySelectorAll("[data-chat][data-channel-id]") : [], function (el) {
      var id = el.getAttribute("data-channel-id");
      if (!chats[id] || chats[id].root !== el) chats[id] = new Chat(el);
    });
  }

  document.addEventListener("encore:chat:message", function (e) {
    var p = e.detail || {};
    var chat = chats[String(p.channel_id)];
    // Each line comes in every language; show the one this page is in.
    var lang = document.documentElement.getAttribute("lang");
    var html = (p.html_by_locale && p.html_by_locale[lang]) || p.html;
    if (chat && typeof p.seq === "number" && typeof html === "string") chat.accept(p.seq, html);
  });
  // A moderator, the host or the author removed a line: take it out now; a later fetch
  // shows the server's "removed" notice in its place.
  document.addEventListener("encore:chat:removed", function (e) {
    var p = e.detail || {};
    var line = document.getElementById("msg-" + p.channel_id + "-" + p.seq);
    if (line) line.parentNode.removeChild(line);
  });
  // Older lines are inserted above what the reader sees: keep the view where it was, so
  // the next "earlier" link does not scroll into sight (and load) by itself.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (!target || !target.classList || !target.classList.contains("chat-older")) return;
    var root = target.closest("[data-chat]");
    var chat = root && chats[root.getAttribute("data-channel-id")];
    if (!chat) return;
    var fromEnd = chat.scroller.scrollHeight - chat.scroller.scrollTop;
    setTimeout(function () {
      chat.scroller.scrollTop = chat.scroller.scrollHeight - fromEnd;
    }, 0);
  });

  function catchUpAll() {
    Object.keys(chats).forEach(function (id) { chats[id].catchUp(); });
  }
  // The subscribe ack is not ours to see, so fetch once at connect and once more shortly
  // after: a line committed between the first fetch and the join is caught by the second.
  document.addEventListener("encore:connect", function () {
    catchUpAll();
    setTimeout(catchUpAll, 1500);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    catchUpAll();
    Object.keys(chats).forEach(function (id) { chats[id].scheduleRead(); });
  });

  setUp(document);
  window.encoreChat = { chats: chats, setUp: setUp };
})();
