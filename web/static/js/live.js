// A minimal graphql-transport-ws client (enisdenjo/graphql-ws PROTOCOL.md)
// for one subscription that survives disconnects: it reconnects with
// exponential backoff and asks the caller for fresh variables each time, so
// the board resumes with `since: lastSequence` and misses nothing.

const PROTOCOL = "graphql-transport-ws";
const FIRST_RETRY_MS = 300;
const MAX_RETRY_MS = 10000;
// Close codes after which retrying cannot help (RELIABILITY.md).
const REJECTED = 4403;
const FATAL = new Set([4400, 4401, 4409, 4429, REJECTED]);

export class LiveSubscription {
  /**
   * @param {object} options
   * @param {string} options.url websocket URL of /graphql
   * @param {() => object} options.connectionParams connection_init payload, read at each connect
   * @param {string} options.query the subscription document
   * @param {() => object} options.variables read at each (re)subscribe
   * @param {(data: object) => void} options.onData one `next` payload's data
   * @param {(state: string) => void} options.onStatus "connecting" | "live" | "reconnecting" | "stopped"
   * @param {(reason: string, errors?: object[]) => void} options.onFailure not retried
   */
  constructor(options) {
    this.options = options;
    this.socket = null;
    this.attempts = 0;
    this.nextId = 0;
    this.currentId = null;
    this.retryTimer = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      if (socket.readyState === WebSocket.OPEN && this.currentId) {
        socket.send(JSON.stringify({ id: this.currentId, type: "complete" }));
      }
      socket.close(1000, "bye");
    }
    this.options.onStatus("stopped");
  }

  connect() {
    this.options.onStatus(this.attempts === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(this.options.url, PROTOCOL);
    this.socket = socket;
    socket.onopen = () => {
      this.send(socket, { type: "connection_init", payload: this.options.connectionParams() });
    };
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = (event) => this.closed(socket, event);
  }

  send(socket, message) {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  receive(socket, raw) {
    if (socket !== this.socket) return;
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      socket.close(4400, "bad message");
      return;
    }
    switch (message.type) {
      case "connection_ack":
        this.currentId = String(++this.nextId);
        this.send(socket, {
          id: this.currentId,
          type: "subscribe",
          payload: { query: this.options.query, variables: this.options.variables() },
        });
        this.attempts = 0;
        this.options.onStatus("live");
        break;
      case "ping":
        this.send(socket, { type: "pong", payload: message.payload });
        break;
      case "next":
        if (message.id !== this.currentId) return;
        if (message.payload && message.payload.errors && message.payload.errors.length) {
          this.fail(socket, "errors", message.payload.errors);
        } else if (message.payload && message.payload.data) {
          this.options.onData(message.payload.data);
        }
        break;
      case "error":
        if (message.id === this.currentId) this.fail(socket, "errors", message.payload);
        break;
      case "complete":
        // The server ended the stream (e.g. it is shutting down): resume.
        if (message.id === this.currentId) socket.close(1000, "completed");
        break;
      default:
        break;
    }
  }

  fail(socket, reason, errors) {
    this.stopped = true;
    this.socket = null;
    socket.close(1000, reason);
    this.options.onStatus("stopped");
    this.options.onFailure(reason, errors);
  }

  closed(socket, event) {
    if (socket !== this.socket || this.stopped) return;
    this.socket = null;
    this.currentId = null;
    if (FATAL.has(event.code)) {
      this.stopped = true;
      this.options.onStatus("stopped");
      this.options.onFailure(event.code === REJECTED ? "rejected" : `closed ${event.code}`);
      return;
    }
    const backoff = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempts);
    // Jitter spreads a whole office reconnecting after a server restart.
    const delay = backoff / 2 + Math.random() * (backoff / 2);
    this.attempts += 1;
    this.options.onStatus("reconnecting");
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
