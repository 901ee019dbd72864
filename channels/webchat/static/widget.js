/*
 * Lumio web chat widget. Embed it on any page with one tag:
 *
 *   <script src="https://<app>/chat/widget.js" defer></script>
 *
 * It adds a launcher button and a chat panel (full screen on narrow screens) inside a Shadow DOM, so
 * the host page's styles and the widget's cannot touch each other. It talks to the app that served it
 * (found from this script's own URL) over a WebSocket at /chat/ws; the protocol is described in
 * channels/webchat/protocol.py and docs/channels/webchat.md. The conversation id the server issues
 * is kept in localStorage, so a reload shows the history; after a network loss the widget reconnects
 * with backoff, fetches what it missed and resends unacknowledged messages under the same client
 * message id (the server stores them once). A page whose origin the app does not allow is told so
 * (its handshake fails like a network loss would; /chat/origin tells them apart) instead of retrying
 * forever. No framework, no CDN, no inline script; every text shown is set with textContent.
 * Elements with a `data-lumio-chat-open` attribute open the chat when clicked.
 */
(function () {
  "use strict";

  if (window.LumioChat) {
    return; // embedded twice
  }

  var script = document.currentScript;
  var ORIGIN = new URL((script && script.src) || "/chat/widget.js", window.location.href).origin;
  var SOCKET_URL = ORIGIN.replace(/^http/, "ws") + "/chat/ws";
  var LANGUAGE = /^zh/i.test(navigator.language || "") ? "zh" : "en";
  var STORAGE_KEY = "lumio-chat:" + ORIGIN;
  var PING_EVERY = 20000; // ms; no frame for SILENCE_LIMIT means the connection is dead
  var SILENCE_LIMIT = 50000;
  var BACKOFF_LONGEST = 30000;

  var STRINGS = {
    zh: {
      title: "禾光智能客服",
      launcher: "在线客服",
      open: "打开在线客服",
      close: "关闭",
      placeholder: "请输入您的问题…",
      send: "发送",
      welcome:
        "您好！我是禾光智能客服，可以帮您解答退换货、退款、保修、维修、物流和发票等售后问题。",
      agent: "人工客服",
      status: {
        bot: "智能助手 · 7×24 小时在线",
        queued: "正在为您转接人工客服…",
        agent: "人工客服正在为您服务",
        resolved: "智能助手 · 7×24 小时在线",
      },
      offline: "网络已断开，正在重新连接…",
      refused: "此网站未获准使用在线客服（请联系网站运营方）。",
      retrying: "智能助手暂时不可用，稍后将自动重试…",
      failed: "未发送：",
      tooLong: "消息太长了，请控制在 {n} 个字以内。",
      typing: "对方正在输入",
    },
    en: {
      title: "Lumio support",
      launcher: "Chat with us",
      open: "Open the support chat",
      close: "Close",
      placeholder: "Type your question…",
      send: "Send",
      welcome:
        "Hi! I'm Lumio's assistant. Ask me about returns, refunds, warranty, repairs, delivery or invoices.",
      agent: "Agent",
      status: {
        bot: "Assistant · online 24/7",
        queued: "Connecting you to an agent…",
        agent: "An agent is with you",
        resolved: "Assistant · online 24/7",
      },
      offline: "Connection lost, reconnecting…",
      refused: "This site is not allowed to use the chat (ask the site's operator).",
      retrying: "The assistant is temporarily unavailable; retrying shortly…",
      failed: "Not sent: ",
      tooLong: "That message is too long; please keep it under {n} characters.",
      typing: "Typing",
    },
  };
  var t = STRINGS[LANGUAGE];

  var CSS = [
    ":host { all: initial; }",
    "[hidden] { display: none !important; }",
    "* { box-sizing: border-box; }",
    ".root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: flex; flex-direction: column;",
    "  align-items: flex-end; gap: 12px; font: 15px/1.45 -apple-system,",
    "  BlinkMacSystemFont, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC',",
    "  Roboto, sans-serif; color: #1f2933; }",
    ".launcher { display: flex; align-items: center; gap: 8px; border: 0; border-radius: 28px; padding: 12px 18px;",
    "  background: #0f766e; color: #fff; font: inherit; font-weight: 600; cursor: pointer;",
    "  box-shadow: 0 6px 20px rgba(15, 118, 110, .35); position: relative; }",
    ".launcher:hover { background: #115e59; }",
    ".launcher:focus-visible, button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }",
    ".launcher svg { width: 22px; height: 22px; fill: currentColor; }",
    ".badge { position: absolute; top: -6px; right: -6px; min-width: 22px; height: 22px; border-radius: 11px;",
    "  background: #dc2626; color: #fff; font-size: 12px; line-height: 22px; text-align: center; padding: 0 6px; }",
    ".panel { width: 380px; height: min(620px, calc(100vh - 110px)); display: flex; flex-direction: column;",
    "  background: #fff; border-radius: 16px; overflow: hidden; box-shadow: 0 12px 40px rgba(0, 0, 0, .25); }",
    "header { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 14px 16px;",
    "  background: #0f766e; color: #fff; }",
    "header .title { display: block; font-weight: 700; font-size: 16px; }",
    "header .status { display: block; font-size: 12px; opacity: .9; }",
    ".close { border: 0; background: transparent; color: #fff; font-size: 24px; line-height: 1; cursor: pointer;",
    "  padding: 4px 8px; border-radius: 6px; }",
    ".close:hover { background: rgba(255, 255, 255, .15); }",
    ".notice { padding: 8px 16px; background: #fef3c7; color: #92400e; font-size: 13px; }",
    ".log { flex: 1; overflow-y: auto; padding: 16px; background: #f5f7f8; display: flex; flex-direction: column; gap: 10px; }",
    ".msg { display: flex; flex-direction: column; max-width: 85%; }",
    ".msg.customer { align-self: flex-end; align-items: flex-end; }",
    ".msg.bot, .msg.agent, .msg.welcome { align-self: flex-start; align-items: flex-start; }",
    ".msg.system { align-self: center; font-size: 12px; color: #52606d; }",
    ".who { font-size: 12px; color: #52606d; margin: 0 4px 2px; }",
    ".bubble { padding: 9px 13px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".msg.bot .bubble, .msg.welcome .bubble { background: #fff; border: 1px solid #e4e7eb; border-top-left-radius: 4px; }",
    ".msg.agent .bubble { background: #ecfdf5; border: 1px solid #a7f3d0; border-top-left-radius: 4px; }",
    ".msg.customer .bubble { background: #0f766e; color: #fff; border-top-right-radius: 4px; }",
    ".msg.customer.pending .bubble { opacity: .6; }",
    ".msg.customer.failed .bubble { background: #b91c1c; }",
    ".choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }",
    ".choice { border: 1px solid #0f766e; background: #fff; color: #0f766e; border-radius: 16px; padding: 5px 12px;",
    "  font: inherit; font-size: 14px; cursor: pointer; }",
    ".choice:hover:not(:disabled) { background: #f0fdfa; }",
    ".choice:disabled { opacity: .45; cursor: default; }",
    ".choice.chosen { opacity: 1; background: #0f766e; color: #fff; }",
    ".typing { align-self: flex-start; display: flex; gap: 4px; padding: 12px 14px; background: #fff;",
    "  border: 1px solid #e4e7eb; border-radius: 14px; border-top-left-radius: 4px; }",
    ".typing span { width: 7px; height: 7px; border-radius: 50%; background: #9aa5b1; animation: blink 1.2s infinite; }",
    ".typing span:nth-child(2) { animation-delay: .2s; } .typing span:nth-child(3) { animation-delay: .4s; }",
    "@keyframes blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }",
    "form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e4e7eb; background: #fff; }",
    "textarea { flex: 1; resize: none; border: 1px solid #cbd2d9; border-radius: 10px; padding: 9px 11px;",
    "  font: inherit; min-height: 42px; max-height: 120px; color: inherit; background: #fff; }",
    "textarea:focus { outline: none; border-color: #0f766e; box-shadow: 0 0 0 3px rgba(15, 118, 110, .2); }",
    ".send { border: 0; border-radius: 10px; padding: 0 16px; background: #0f766e; color: #fff; font: inherit;",
    "  font-weight: 600; cursor: pointer; }",
    ".send:hover { background: #115e59; }",
    "textarea:disabled, .send:disabled { opacity: .5; cursor: not-allowed; }",
    "@media (max-width: 600px) {",
    "  .root.open { top: 0; left: 0; right: 0; bottom: 0; gap: 0; }",
    "  .root.open .panel { width: 100vw; height: 100%; border-radius: 0; }",
    "  .root.open .launcher { display: none; }",
    "}",
    "@media (prefers-reduced-motion: reduce) { .typing span { animation: none; } }",
  ].join("\n");

  // --- Building blocks (every text goes in with textContent) -----------------------------------

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function storage(kind) {
    try {
      return window[kind];
    } catch (error) {
      return null; // storage disabled: the chat still works, without history across reloads
    }
  }

  function remember(kind, key, value) {
    var store = storage(kind);
    try {
      if (store && value === null) {
        store.removeItem(key);
      } else if (store) {
        store.setItem(key, value);
      }
    } catch (error) {
      /* full or refused: nothing to keep */
    }
  }

  function recall(kind, key) {
    var store = storage(kind);
    try {
      return store ? store.getItem(key) : null;
    } catch (error) {
      return null;
    }
  }

  function newMessageId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute(
      "d",
      "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 " +
        "0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"
    );
    svg.appendChild(path);
    return svg;
  }

  // --- The widget's elements -------------------------------------------------------------------

  var host = make("div");
  host.id = "lumio-chat";
  var shadow = host.attachShadow({ mode: "open" });
  if (shadow.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(make("style", null, CSS));
  }

  var root = make("div", "root");
  root.lang = LANGUAGE === "zh" ? "zh-CN" : "en";
  var launcher = make("button", "launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-label", t.open);
  launcher.setAttribute("aria-expanded", "false");
  launcher.appendChild(chatIcon());
  launcher.appendChild(make("span", "label", t.launcher));
  var badge = make("span", "badge");
  badge.hidden = true;
  launcher.appendChild(badge);

  var panel = make("section", "panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", t.title);
  panel.hidden = true;
  var header = make("header");
  var heading = make("div");
  heading.appendChild(make("span", "title", t.title));
  var statusLine = make("span", "status", t.status.bot);
  heading.appendChild(statusLine);
  var closeButton = make("button", "close", "×");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", t.close);
  header.appendChild(heading);
  header.appendChild(closeButton);
  var notice = make("div", "notice");
  notice.setAttribute("role", "status");
  notice.hidden = true;
  var log = make("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var typing = make("div", "typing");
  typing.setAttribute("aria-label", t.typing);
  typing.appendChild(make("span"));
  typing.appendChild(make("span"));
  typing.appendChild(make("span"));
  typing.hidden = true;
  var form = make("form");
  var input = make("textarea");
  input.rows = 1;
  input.placeholder = t.placeholder;
  input.setAttribute("aria-label", t.placeholder);
  input.maxLength = 2000;
  var sendButton = make("button", "send", t.send);
  sendButton.type = "submit";
  form.appendChild(input);
  form.appendChild(sendButton);
  panel.appendChild(header);
  panel.appendChild(notice);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(root);

  // --- State -----------------------------------------------------------------------------------

  var state = {
    conversationId: recall("localStorage", STORAGE_KEY),
    socket: null,
    ready: false, // the current socket has its session and history: messages can go out
    started: false, // a history has been shown on this page: later ones only add what was missed
    lastId: 0, // the newest message id the server has sent
    shown: {}, // message ids rendered
    pending: [], // customer messages not acknowledged yet: {frame, row, timer}
    attempts: 0,
    reconnectTimer: null,
    lastFrameAt: 0,
    maxLength: 2000,
    unread: 0,
    refused: false, // the app does not allow this page: no more connecting
  };

  // --- Rendering -------------------------------------------------------------------------------

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function append(row) {
    if (typing.parentNode === log) {
      log.insertBefore(row, typing);
    } else {
      log.appendChild(row);
    }
    scrollDown();
  }

  function render(message) {
    if (message.id !== undefined && message.id !== null) {
      if (state.shown[message.id]) {
        return null;
      }
      state.shown[message.id] = true;
      state.lastId = Math.max(state.lastId, message.id);
    }
    var row = make("div", "msg " + message.sender);
    if (message.sender === "agent") {
      row.appendChild(make("span", "who", t.agent));
    }
    row.appendChild(make("div", "bubble", message.text));
    if (message.buttons && message.buttons.length) {
      var group = make("div", "choices");
      message.buttons.forEach(function (button) {
        var choice = make("button", "choice", button.title);
        choice.type = "button";
        choice.addEventListener("click", function () {
          press(button, group, choice);
        });
        group.appendChild(choice);
      });
      row.appendChild(group);
    }
    append(row);
    return row;
  }

  function clearLog() {
    while (log.firstChild) {
      log.removeChild(log.firstChild);
    }
    state.shown = {};
    state.lastId = 0;
  }

  function welcome() {
    if (!log.querySelector(".msg")) {
      var row = make("div", "msg welcome");
      row.appendChild(make("div", "bubble", t.welcome));
      append(row);
    }
  }

  function showTyping(on) {
    typing.hidden = !on;
    if (on) {
      log.appendChild(typing);
      scrollDown();
    }
  }

  function setNotice(text) {
    notice.textContent = text || "";
    notice.hidden = !text;
  }

  function setStatus(status) {
    statusLine.textContent = t.status[status] || t.status.bot;
  }

  function setUnread(count) {
    state.unread = count;
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  // --- Sending ---------------------------------------------------------------------------------

  function transmit(frame) {
    if (state.ready && state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function enqueue(frame, shownText) {
    frame.client_message_id = newMessageId();
    var row = render({ sender: "customer", text: shownText });
    row.classList.add("pending");
    state.pending.push({ frame: frame, row: row, timer: null });
    if (!transmit(frame)) {
      connect();
    }
  }

  function submit() {
    var text = input.value.trim();
    if (!text) {
      return;
    }
    if (text.length > state.maxLength) {
      setNotice(t.tooLong.replace("{n}", String(state.maxLength)));
      return;
    }
    input.value = "";
    setNotice("");
    enqueue({ type: "message", text: text }, text);
  }

  function press(button, group, choice) {
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (other) {
      other.disabled = true;
    });
    choice.classList.add("chosen");
    enqueue({ type: "button", payload: button.payload, title: button.title }, button.title);
  }

  function pendingFor(reference) {
    for (var i = 0; i < state.pending.length; i += 1) {
      if (state.pending[i].frame.client_message_id === reference) {
        return state.pending[i];
      }
    }
    return null;
  }

  function settle(entry) {
    clearTimeout(entry.timer);
    state.pending.splice(state.pending.indexOf(entry), 1);
    entry.row.classList.remove("pending");
  }

  // --- Frames from the server ------------------------------------------------------------------

  var handlers = {
    session: function (frame) {
      if (state.conversationId && frame.conversation_id !== state.conversationId) {
        clearLog(); // the server did not know our conversation: a new one starts
        state.started = false;
        state.pending.forEach(function (entry) {
          append(entry.row);
        });
      }
      state.conversationId = frame.conversation_id;
      remember("localStorage", STORAGE_KEY, frame.conversation_id);
      state.maxLength = frame.max_length || state.maxLength;
      input.maxLength = state.maxLength;
      state.attempts = 0;
      setStatus(frame.status);
      setNotice("");
    },
    history: function (frame) {
      var reconnect = state.started;
      frame.messages.forEach(function (message) {
        // After a reconnect the customer's own messages are already on screen (sent or pending).
        if (!(reconnect && message.sender === "customer")) {
          render(message);
        } else {
          state.lastId = Math.max(state.lastId, message.id);
        }
      });
      state.started = true;
      state.ready = true; // from now on messages go out as they are written
      if (!frame.messages.length) {
        welcome();
      }
      state.pending.forEach(function (entry) {
        transmit(entry.frame); // the same client_message_id: stored once however often it is sent
      });
    },
    message: function (frame) {
      if (render(frame) && panel.hidden) {
        setUnread(state.unread + 1);
      }
    },
    typing: function (frame) {
      showTyping(frame.on !== false);
    },
    ack: function (frame) {
      var entry = pendingFor(frame.client_message_id);
      if (entry) {
        settle(entry);
      }
      setNotice("");
      if (frame.status) {
        setStatus(frame.status);
      }
    },
    status: function (frame) {
      setStatus(frame.status);
    },
    error: function (frame) {
      var entry = frame.client_message_id ? pendingFor(frame.client_message_id) : null;
      if (entry && frame.retry_after) {
        setNotice(t.retrying);
        clearTimeout(entry.timer);
        entry.timer = setTimeout(function () {
          transmit(entry.frame);
        }, frame.retry_after * 1000);
      } else if (entry) {
        settle(entry);
        entry.row.classList.add("failed");
        entry.row.title = frame.message;
        setNotice(t.failed + frame.message);
      } else {
        setNotice(frame.message);
      }
    },
    pong: function () {},
  };

  // --- The connection --------------------------------------------------------------------------

  function connect() {
    if (state.socket || state.refused) {
      return;
    }
    clearTimeout(state.reconnectTimer);
    var socket;
    try {
      socket = new WebSocket(SOCKET_URL);
    } catch (error) {
      reconnectLater();
      return;
    }
    state.socket = socket;
    var opened = false;
    socket.addEventListener("open", function () {
      opened = true;
      state.lastFrameAt = Date.now();
      var hello = { type: "hello", language: LANGUAGE };
      if (state.conversationId) {
        hello.conversation_id = state.conversationId;
      }
      if (state.started && state.lastId) {
        hello.last_message_id = state.lastId;
      }
      socket.send(JSON.stringify(hello));
    });
    socket.addEventListener("message", function (event) {
      state.lastFrameAt = Date.now();
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      var handler = frame && handlers[frame.type];
      if (handler) {
        handler(frame);
      }
    });
    socket.addEventListener("close", function () {
      if (state.socket !== socket) {
        return;
      }
      state.socket = null;
      state.ready = false;
      showTyping(false);
      if (state.pending.length || !panel.hidden) {
        setNotice(t.offline);
      }
      if (opened) {
        reconnectLater();
      } else {
        checkOrigin();
      }
    });
  }

  // A handshake that failed before opening: the server down or unreachable, or a refusal of this page's
  // origin (HTTP 403), which browsers report the same way. The app says which; without an answer
  // (offline, a proxy, the page's CSP) the widget keeps retrying.
  function checkOrigin() {
    if (!window.fetch) {
      reconnectLater();
      return;
    }
    window
      .fetch(ORIGIN + "/chat/origin", { mode: "cors", credentials: "omit", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(
        function (answer) {
          if (answer && answer.allowed === false) {
            refuse();
          } else {
            reconnectLater();
          }
        },
        function () {
          reconnectLater();
        }
      );
  }

  function refuse() {
    state.refused = true;
    clearTimeout(state.reconnectTimer);
    setNotice(t.refused);
    input.disabled = true;
    sendButton.disabled = true;
  }

  function reconnectLater() {
    clearTimeout(state.reconnectTimer);
    var delay = Math.min(BACKOFF_LONGEST, 1000 * Math.pow(2, state.attempts));
    state.attempts += 1;
    state.reconnectTimer = setTimeout(connect, delay * (0.5 + Math.random() / 2));
  }

  setInterval(function () {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) {
      return;
    }
    if (Date.now() - state.lastFrameAt > SILENCE_LIMIT) {
      state.socket.close(); // a silent connection is a dead one: the close handler reconnects
    } else if (state.ready) {
      state.socket.send(JSON.stringify({ type: "ping" }));
    }
  }, PING_EVERY);

  window.addEventListener("online", function () {
    state.attempts = 0;
    if (!state.socket) {
      connect();
    }
  });

  // --- Opening and closing ---------------------------------------------------------------------

  function open() {
    panel.hidden = false;
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    setUnread(0);
    remember("sessionStorage", STORAGE_KEY + ":open", "1");
    connect();
    if (state.started && !log.querySelector(".msg")) {
      welcome();
    }
    scrollDown();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    remember("sessionStorage", STORAGE_KEY + ":open", null);
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) {
      open();
    } else {
      close();
    }
  });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      close();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line; never while an input method is composing (pinyin).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-lumio-chat-open]")) {
      event.preventDefault();
      open();
    }
  });

  function mount() {
    document.body.appendChild(host);
    if (recall("sessionStorage", STORAGE_KEY + ":open")) {
      open();
    } else if (state.conversationId) {
      connect(); // a returning customer: agents' replies arrive (and count as unread) while closed
    }
  }

  window.LumioChat = { open: open, close: close };
  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
