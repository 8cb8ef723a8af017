// WaddleBot overlay page: connects to /browser_source/ws/<token>/<kind> and shows what
// it is sent. Everything from users is set with textContent (never as HTML); the page
// reconnects with backoff and jitter and pings every `heartbeat` seconds.
(function () {
  "use strict";

  var parts = window.location.pathname.split("/");
  var at = parts.lastIndexOf("overlay");
  var base = parts.slice(0, at).join("/"); // "/browser_source" (or behind a proxy path)
  var token = decodeURIComponent(parts[at + 1] || "");
  var kind = decodeURIComponent(parts[at + 2] || "");
  var root = document.getElementById("overlay");
  var preview = new URLSearchParams(window.location.search).get("preview") === "1";
  var MAX_SHOWN = { alerts: 3, ticker: 1, chat: 12, now_playing: 1, media: 1 };
  var ALERT_SECONDS = 8;
  document.body.className = "kind-" + kind;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function str(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  function show(node, keep) {
    root.appendChild(node);
    while (root.childNodes.length > (MAX_SHOWN[kind] || 5)) { root.removeChild(root.firstChild); }
    if (keep) {
      window.setTimeout(function () { if (node.parentNode) { node.parentNode.removeChild(node); } }, keep * 1000);
    }
  }

  function alertText(p) {
    var who = str(p.user || p.login || "Someone");
    switch (p.kind) {
      case "raid": return who + " is raiding with " + str(p.viewers || 0) + " viewers!";
      case "follow": return who + " just followed!";
      case "subscription": return who + " subscribed!";
      case "gift": return who + " gifted " + str(p.total || 1) + " subs!";
      case "cheer": return who + " cheered " + str(p.bits || 0) + " bits!";
      default: return str(p.text || who);
    }
  }

  var renderers = {
    alerts: function (p) {
      var card = el("div", "alert", alertText(p));
      if (p.message) { card.appendChild(el("span", "detail", p.message)); }
      show(card, preview ? 0 : ALERT_SECONDS);
    },
    ticker: function (p) { show(el("div", "ticker", p.text), 0); },
    chat: function (p) {
      var line = el("div", "chat-line");
      line.appendChild(el("span", "who", p.user || p.username));
      line.appendChild(el("span", "text", p.text));
      show(line, 0);
    },
    now_playing: function (p) {
      root.textContent = "";
      if (!p.title) { return; }
      var card = el("div", "now-playing", p.title);
      if (p.requested_by) { card.appendChild(el("span", "by", "requested by " + str(p.requested_by))); }
      show(card, 0);
    },
    media: function (p) { media.handle(p); }
  };

  // --- media: the YouTube IFrame player plays the queue and reports each song's end ---
  var media = {
    player: null, current: null, pending: null, loading: false,
    handle: function (p) {
      if (p.action === "stop") { this.current = null; if (this.player) { this.player.stopVideo(); } return; }
      if (p.action !== "play" || !/^[A-Za-z0-9_-]{11}$/.test(str(p.video_id))) { return; }
      this.pending = p;
      this.load();
    },
    load: function () {
      var self = this;
      if (self.player) { self.start(); return; }
      if (self.loading) { return; }
      self.loading = true;
      var holder = el("div");
      holder.id = "player";
      root.appendChild(holder);
      window.onYouTubeIframeAPIReady = function () {
        self.player = new window.YT.Player("player", {
          width: "100%", height: "100%",
          playerVars: { autoplay: 1, controls: 0, rel: 0 },
          events: {
            onReady: function () { self.start(); },
            onStateChange: function (e) { if (e.data === 0) { self.report("ended"); } },
            onError: function () { self.report("failed"); }
          }
        });
      };
      var script = document.createElement("script");
      script.src = "https://www.youtube.com/iframe_api";
      document.head.appendChild(script);
    },
    start: function () {
      if (!this.pending || !this.player || !this.player.loadVideoById) { return; }
      this.current = this.pending;
      this.pending = null;
      this.player.loadVideoById(this.current.video_id);
    },
    report: function (what) {
      if (!this.current) { return; }
      send({ type: what, request_id: this.current.request_id });
      this.current = null;
    }
  };

  function render(item) {
    var draw = renderers[kind];
    if (draw && item && item.payload && typeof item.payload === "object") { draw(item.payload); }
  }

  // --- the connection ---------------------------------------------------------------
  var socket = null, attempts = 0, heartbeat = 15, timer = null, lastPong = 0, stopped = false;

  function send(message) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(message)); }
  }

  function beat() {
    window.clearInterval(timer);
    timer = window.setInterval(function () {
      if (Date.now() - lastPong > heartbeat * 2500) { socket.close(); return; }
      send({ type: "ping" });
    }, heartbeat * 1000);
  }

  function retry() {
    window.clearInterval(timer);
    if (stopped) { return; }
    attempts += 1;
    var ceiling = Math.min(30000, 500 * Math.pow(2, Math.min(attempts, 6)));
    var delay = ceiling / 2 + Math.random() * ceiling / 2; // backoff with jitter
    window.setTimeout(connect, delay);
  }

  var shown = {}, connectedBefore = false;

  function take(message, replayed) {
    var id = str(message.id);
    if (shown[id]) { return; }
    // A page that just loaded shows no old alerts; one that reconnects shows what it missed.
    if (message.replay && kind === "alerts" && !connectedBefore) { shown[id] = true; return; }
    if (message.replay && (kind === "media" || kind === "now_playing")) { replayed.push(message); return; }
    shown[id] = true;
    render(message);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + base + "/ws/" + encodeURIComponent(token) + "/" + encodeURIComponent(kind);
    var replayed = [];
    var latest = function () { // media and now playing only need the newest replayed item
      if (replayed.length) { var last = replayed.pop(); shown[str(last.id)] = true; render(last); replayed = []; }
    };
    socket = new WebSocket(url);
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "item") {
        if (!message.replay) { latest(); }
        take(message, replayed);
        return;
      }
      latest();
      if (message.type === "hello") {
        lastPong = Date.now();
        heartbeat = Number(message.heartbeat) > 0 ? Number(message.heartbeat) : 15;
        document.body.setAttribute("data-connected", "true");
        beat();
      } else if (message.type === "pong") {
        lastPong = Date.now();
        attempts = 0;
        latest();
      }
    };
    socket.onclose = function (event) {
      document.body.removeAttribute("data-connected");
      latest();
      connectedBefore = true;
      if (event.code === 4401) { stopped = true; root.textContent = ""; return; }
      retry();
    };
  }

  // --- preview: sample items for the portal ----------------------------------------
  var SAMPLES = {
    alerts: [{ kind: "follow", user: "NewFriend" }, { kind: "cheer", user: "Sparkles", bits: 500, message: "Great run!" },
             { kind: "raid", user: "BigStreamer", viewers: 120 }],
    ticker: [{ text: "Welcome to the stream! Type !sr to request a song." }],
    chat: [{ user: "Amy", text: "hello chat" }, { user: "Bob", text: "that jump was clean" }],
    now_playing: [{ title: "Never Gonna Give You Up", requested_by: "Amy" }],
    media: []
  };

  // The preview (the portal frames it) shows samples, then what really arrives, live; the
  // media preview never connects, so it plays nothing in the portal.
  if (preview) {
    document.body.setAttribute("data-preview", "true");
    (SAMPLES[kind] || []).forEach(function (p) { render({ payload: p }); });
    if (kind === "media") { root.appendChild(el("div", "now-playing", "The song request player appears here.")); }
  }
  if (!preview || kind !== "media") {
    connect();
  }
}());
