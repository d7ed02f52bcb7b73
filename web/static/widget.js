/*
 * RevGraph webchat widget. Embed with one tag:
 *   <script src="https://<server>/widget.js" data-inbox="<publicKey>" async></script>
 * It draws a chat bubble and panel (pt-BR) inside a shadow root, so the
 * site's styles and the widget's never mix, and talks to the server over
 * the visitor websocket (/webchat/ws, protocol in web/webchat.py). The
 * visitor token the server signs is kept in localStorage: a returning
 * visitor continues their conversation. Plain JavaScript, no dependency,
 * nothing loaded from anywhere but this server.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var key = script && script.getAttribute("data-inbox");
  if (!key || window.__revgraphWebchat && window.__revgraphWebchat[key]) return;
  (window.__revgraphWebchat = window.__revgraphWebchat || {})[key] = true;

  var base = script.src.replace(/\/widget\.js(\?.*)?$/, "");
  var socketUrl = base.replace(/^http/, "ws") + "/webchat/ws?inbox=" + encodeURIComponent(key);
  var STORE = "revgraph-webchat:" + key;
  var T = {
    open: "Abrir chat", close: "Fechar chat", title: "Fale conosco", greeting: "Olá! Como podemos ajudar?",
    placeholder: "Escreva sua mensagem…", send: "Enviar", message: "Mensagem",
    ask: "Quer se identificar? (opcional)", name: "Seu nome", email: "Seu e-mail", save: "Salvar", skip: "Agora não",
    connecting: "Conectando…", offline: "Sem conexão. Tentando novamente…", sending: "enviando…",
    failed: "não enviada", unavailable: "O chat não está disponível neste site.",
    slow: "Muitas mensagens em pouco tempo. Aguarde um instante…", tooLong: "Mensagem longa demais.",
    invalidEmail: "Confira o e-mail.", you: "Você", agent: "Atendente", unread: "novas mensagens",
  };

  var state = {
    token: read("token"), skipped: read("skipped") === "1", messages: [], byId: {}, outbox: read("outbox", true) || [],
    socket: null, ready: false, open: false, unread: 0, retry: 0, timer: null, stopped: false, identity: null,
  };

  function read(name, json) {
    try {
      var value = window.localStorage.getItem(STORE + ":" + name);
      return json ? JSON.parse(value) : value;
    } catch (e) { return null; }
  }
  function write(name, value) {
    try {
      if (value === null) window.localStorage.removeItem(STORE + ":" + name);
      else window.localStorage.setItem(STORE + ":" + name, typeof value === "string" ? value : JSON.stringify(value));
    } catch (e) { /* private mode: this visit only */ }
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), attrs[name]);
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // ------------------------------------------------------------------ view
  var host = el("div", { id: "revgraph-webchat-" + key.slice(0, 8) });
  var root = host.attachShadow({ mode: "open" });
  var style = el("style", { text:
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;" +
    "background:var(--rg-color,#1F6FEB);color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;font-size:26px}" +
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#D93025;" +
    "color:#fff;font-size:12px;line-height:20px;padding:0 5px}.badge[hidden]{display:none}" +
    ".panel{position:fixed;right:20px;bottom:88px;width:min(360px,calc(100vw - 40px));height:min(520px,calc(100vh - 120px));" +
    "display:flex;flex-direction:column;background:#fff;color:#1b1b1b;border-radius:12px;overflow:hidden;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.25);z-index:2147483000;font-size:14px}.panel[hidden]{display:none}" +
    "header{background:var(--rg-color,#1F6FEB);color:#fff;padding:12px 14px;display:flex;justify-content:space-between;align-items:center}" +
    "header h2{margin:0;font-size:16px}header button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
    ".greeting{margin:0;padding:10px 14px;background:#f3f5f8;color:#333}" +
    "ol{list-style:none;margin:0;padding:10px 14px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:6px}" +
    "li{max-width:80%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}" +
    "li.visitor{align-self:flex-end;background:var(--rg-color,#1F6FEB);color:#fff}li.agent{align-self:flex-start;background:#eceff3}" +
    "li a{color:inherit}li small{display:block;font-size:11px;opacity:.75;margin-top:2px}li.failed{background:#fde7e7;color:#8a1c1c}" +
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #e3e6ea}form.identify{flex-wrap:wrap}" +
    "form.identify p{margin:0;width:100%;font-size:13px}form[hidden]{display:none}" +
    "input,textarea{flex:1;min-width:0;border:1px solid #c9ced6;border-radius:8px;padding:8px;font-size:14px;resize:none}" +
    "button.primary{background:var(--rg-color,#1F6FEB);color:#fff;border:0;border-radius:8px;padding:8px 12px;cursor:pointer}" +
    "button.link{background:none;border:0;color:#555;text-decoration:underline;cursor:pointer}" +
    ".status{margin:0;padding:4px 14px;font-size:12px;color:#666}.status:empty{display:none}" });
  var badge = el("span", { class: "badge", hidden: "" });
  var bubble = el("button", { type: "button", class: "bubble", "aria-label": T.open, "aria-expanded": "false", onclick: toggle },
    [document.createTextNode("💬"), badge]);
  var title = el("h2", { text: T.title });
  var greeting = el("p", { class: "greeting", text: T.greeting });
  var list = el("ol", { "aria-live": "polite", "aria-label": T.message });
  var status = el("p", { class: "status", role: "status" });
  var nameInput = el("input", { name: "name", autocomplete: "name", "aria-label": T.name, placeholder: T.name, maxlength: "200" });
  var emailInput = el("input", { name: "email", type: "email", autocomplete: "email", "aria-label": T.email, placeholder: T.email });
  var identify = el("form", { class: "identify", onsubmit: saveIdentity }, [
    el("p", { text: T.ask }), nameInput, emailInput,
    el("button", { type: "submit", class: "primary", text: T.save }),
    el("button", { type: "button", class: "link", text: T.skip, onclick: skipIdentity }),
  ]);
  var text = el("textarea", { rows: "2", "aria-label": T.message, placeholder: T.placeholder, onkeydown: function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(e); }
  } });
  var compose = el("form", { class: "compose", onsubmit: submit }, [text, el("button", { type: "submit", class: "primary", text: T.send })]);
  var panel = el("section", { class: "panel", role: "dialog", "aria-label": T.title, hidden: "" }, [
    el("header", {}, [title, el("button", { type: "button", "aria-label": T.close, text: "×", onclick: toggle })]),
    greeting, list, status, identify, compose,
  ]);
  root.appendChild(style);
  root.appendChild(bubble);
  root.appendChild(panel);

  function toggle() {
    state.open = !state.open;
    panel.hidden = !state.open;
    bubble.setAttribute("aria-expanded", String(state.open));
    bubble.setAttribute("aria-label", state.open ? T.close : T.open);
    if (state.open) {
      connect();
      state.unread = 0;
      showUnread();
      markRead();
      showIdentify();
      text.focus();
    }
  }
  function showUnread() {
    badge.hidden = !state.unread;
    badge.textContent = state.unread ? String(state.unread) : "";
    badge.setAttribute("aria-label", state.unread + " " + T.unread);
  }
  function showIdentify() {
    var known = state.identity && (state.identity.name || state.identity.email);
    identify.hidden = !!(known || state.skipped || state.messages.length);
  }
  function time(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("pt-BR", { hour: "2-digit", minute: "2-digit" });
  }
  function render() {
    // In time order; messages still on their way (no time yet) last.
    state.messages.sort(function (a, b) {
      return (a.at ? Date.parse(a.at) : Infinity) - (b.at ? Date.parse(b.at) : Infinity) || 0;
    });
    var items = state.messages.map(function (m) {
      var who = m.from === "visitor" ? T.you : (m.author || T.agent);
      var note = m.failed ? T.failed + (m.failed === true ? "" : ": " + m.failed) : m.pending ? T.sending : time(m.at);
      var parts = linked(m.body);
      parts.push(el("small", { text: who + " · " + note }));
      return el("li", { class: m.from + (m.failed ? " failed" : ""), "data-message-id": m.id || "" }, parts);
    });
    list.replaceChildren.apply(list, items);
    list.scrollTop = list.scrollHeight;
  }
  // Text with its http(s) addresses as links (a survey link, a listing):
  // built node by node, so a message can never inject markup.
  function linked(body) {
    var parts = [], last = 0, found, pattern = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]/g;
    while ((found = pattern.exec(body))) {
      if (found.index > last) parts.push(document.createTextNode(body.slice(last, found.index)));
      parts.push(el("a", { href: found[0], target: "_blank", rel: "noopener noreferrer", text: found[0] }));
      last = found.index + found[0].length;
    }
    if (last < body.length) parts.push(document.createTextNode(body.slice(last)));
    return parts;
  }
  function setStatus(textValue) { status.textContent = textValue || ""; }

  // ------------------------------------------------------------- messages
  function take(message) {
    var known = state.byId[message.id];
    if (!known && message.clientMessageId) {
      known = state.messages.filter(function (m) { return m.clientMessageId === message.clientMessageId; })[0];
    }
    if (known) {
      Object.keys(message).forEach(function (k) { known[k] = message[k]; });
      known.pending = false;
      state.byId[message.id] = known;
      return false;
    }
    state.byId[message.id] = message;
    state.messages.push(message);
    return true;
  }
  function received(message) {
    var fresh = take(message);
    render();
    if (message.from !== "agent") return;
    send({ type: "ack", messageIds: [message.id], status: "DELIVERED" });
    if (state.open && document.visibilityState === "visible") markRead();
    else if (fresh) { state.unread += 1; showUnread(); }
  }
  function markRead() {
    var ids = state.messages.filter(function (m) { return m.from === "agent" && m.status !== "READ" && m.id; })
      .map(function (m) { m.status = "READ"; return m.id; });
    if (ids.length) send({ type: "ack", messageIds: ids.slice(-100), status: "READ" });
  }
  function submit(event) {
    event.preventDefault();
    var body = text.value.trim();
    if (!body) return;
    var item = { clientMessageId: newId(), body: body };
    state.outbox.push(item);
    write("outbox", state.outbox);
    state.messages.push({ from: "visitor", body: body, clientMessageId: item.clientMessageId, pending: true });
    text.value = "";
    identify.hidden = true;
    render();
    connect();
    if (state.ready) send({ type: "message", clientMessageId: item.clientMessageId, body: body });
  }
  function settle(clientMessageId, failure) {
    state.outbox = state.outbox.filter(function (m) { return m.clientMessageId !== clientMessageId; });
    write("outbox", state.outbox);
    if (failure) {
      state.messages.forEach(function (m) { if (m.clientMessageId === clientMessageId) m.failed = failure; });
      render();
    }
  }
  function saveIdentity(event) {
    event.preventDefault();
    var payload = { type: "identify", name: nameInput.value.trim() || null, email: emailInput.value.trim() || null };
    if (!payload.name && !payload.email) return skipIdentity();
    state.pendingIdentity = payload;
    connect();
    if (state.ready) send(payload);
    identify.hidden = true;
  }
  function skipIdentity() {
    state.skipped = true;
    write("skipped", "1");
    identify.hidden = true;
  }

  // --------------------------------------------------------------- socket
  function send(frame) {
    if (state.socket && state.socket.readyState === 1) state.socket.send(JSON.stringify(frame));
  }
  function connect() {
    if (state.socket || state.stopped) return;
    clearTimeout(state.timer);
    setStatus(T.connecting);
    var socket = new WebSocket(socketUrl);
    state.socket = socket;
    socket.onopen = function () { socket.send(JSON.stringify({ type: "hello", token: state.token || null })); };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "ready") return ready(frame);
      if (frame.type === "message") return received(frame.message);
      if (frame.type === "accepted") { settle(frame.clientMessageId); return received(frame.message); }
      if (frame.type === "identified") { state.identity = frame.visitor; state.pendingIdentity = null; return; }
      if (frame.type === "error") return failed(frame);
    };
    socket.onclose = function (event) { closed(socket, event); };
  }
  function ready(frame) {
    state.ready = true;
    state.retry = 0;
    setStatus("");
    state.token = frame.token;
    write("token", frame.token);
    state.identity = frame.visitor;
    var widget = frame.widget || {};
    if (widget.color) host.style.setProperty("--rg-color", widget.color);
    title.textContent = widget.title || T.title;
    panel.setAttribute("aria-label", widget.title || T.title);
    greeting.textContent = widget.greeting || T.greeting;
    (frame.messages || []).forEach(take);
    render();
    showIdentify();
    if (state.pendingIdentity) send(state.pendingIdentity);
    state.outbox.forEach(function (m) { send({ type: "message", clientMessageId: m.clientMessageId, body: m.body }); });
    var fresh = state.messages.filter(function (m) { return m.from === "agent" && m.status !== "READ" && m.status !== "DELIVERED" && m.id; });
    if (fresh.length) send({ type: "ack", messageIds: fresh.map(function (m) { return m.id; }).slice(-100), status: "DELIVERED" });
    if (state.open) markRead();
    else {
      // Replies that came while the visitor was away wait on the bubble.
      state.unread = state.messages.filter(function (m) { return m.from === "agent" && m.status !== "READ"; }).length;
      showUnread();
    }
  }
  function failed(frame) {
    if (frame.field && frame.field[0] === "email") { setStatus(T.invalidEmail); identify.hidden = false; return; }
    if (frame.clientMessageId) settle(frame.clientMessageId, frame.field && frame.field[0] === "body" ? T.tooLong : true);
  }
  function closed(socket, event) {
    if (state.socket !== socket) return;
    state.socket = null;
    state.ready = false;
    var delay = Math.min(30000, 1000 * Math.pow(2, state.retry++));
    if (event.code === 4401) { state.token = null; write("token", null); delay = 0; }
    else if (event.code === 4403 || event.code === 4404) { state.stopped = true; setStatus(T.unavailable); return; }
    else if (event.code === 4429) { setStatus(T.slow); delay = Math.max(delay, 20000); }
    else if (event.code === 1009) { setStatus(T.tooLong); state.outbox = []; write("outbox", []); }
    else setStatus(T.offline);
    state.timer = setTimeout(connect, delay);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state.open) markRead();
  });

  function start() {
    document.body.appendChild(host);
    fetch(base + "/webchat/config?inbox=" + encodeURIComponent(key), { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (widget) { if (widget && widget.color) host.style.setProperty("--rg-color", widget.color); })
      .catch(function () { /* the socket's ready frame brings them too */ });
    // A returning visitor connects at once: replies that came meanwhile show.
    if (state.token || state.outbox.length) connect();
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
