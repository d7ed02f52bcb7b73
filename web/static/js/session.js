// The browser's session (web/browser_session.py): an HttpOnly cookie that
// every tab shares and no script can read, and beside it the CSRF token
// (a readable cookie) sent back in X-CSRF-Token. Tabs tell each other when
// someone logs in or out, so a log-out in one tab logs out all of them.

const CSRF_COOKIE = "revgraph_csrf";
export const CSRF_HEADER = "x-csrf-token";
const channel = "BroadcastChannel" in window ? new BroadcastChannel("revgraph.session") : null;

function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

async function answerOf(response) {
  try {
    return await response.json();
  } catch {
    return { errors: [{ message: `HTTP ${response.status}` }] };
  }
}

export const session = {
  /** The CSRF token of this browser's session, or null when logged out. */
  get csrf() {
    return readCookie(CSRF_COOKIE);
  },

  /** What a websocket sends in connection_init to ride on the cookie. */
  connectionParams() {
    return { csrf: this.csrf };
  },

  /** Log the browser in: resolves to {user} or {errors: [{message, extensions}]}. */
  async logIn(email, password) {
    const response = await fetch("/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    const answer = await answerOf(response);
    if (response.ok && channel) channel.postMessage("logged-in");
    return answer;
  },

  /** Keep a session just issued by signUp/acceptInvitation as this browser's cookie. */
  async adopt(token) {
    const response = await fetch("/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
    });
    const answer = await answerOf(response);
    if (response.ok && channel) channel.postMessage("logged-in");
    return answer;
  },

  /** Log out this browser, or (everywhere) every session of the user. */
  async logOut({ everywhere = false } = {}) {
    const headers = this.csrf ? { [CSRF_HEADER]: this.csrf } : {};
    try {
      await fetch(everywhere ? "/sessions" : "/session", { method: "DELETE", headers });
    } finally {
      if (channel) channel.postMessage("logged-out");
    }
  },

  /** Calls back with "logged-in" or "logged-out" when another tab does so. */
  onChange(callback) {
    if (channel) channel.addEventListener("message", (event) => callback(event.data));
  },
};
