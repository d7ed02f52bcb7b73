// Where the app is, kept in the URL's hash so a reload (or a shared link)
// lands on the same screen: "#/board", "#/inbox", "#/inbox/<conversationId>", "#/dashboard",
// "#/dia" (my day) and the record pages "#/contato/<id>", "#/negocio/<id>", "#/empresa/<id>"
// ("#/contato/novo" and "#/empresa/nova" create one).

/** @returns {{screen: "board" | "inbox" | "dashboard" | "day" | "contact" | "deal" | "company", conversationId: string | null, id?: string | null}} */
export function parseRoute(hash) {
  const parts = String(hash || "")
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  if (parts[0] === "inbox") return { screen: "inbox", conversationId: parts[1] || null };
  if (parts[0] === "dashboard") return { screen: "dashboard", conversationId: null };
  if (parts[0] === "dia") return { screen: "day", conversationId: null };
  if (RECORD_SCREENS[parts[0]]) return { screen: RECORD_SCREENS[parts[0]], conversationId: null, id: parts[1] || null };
  if (parts[0] === "primeiros-passos") return { screen: "setup", conversationId: null };
  if (parts[0] === "config") return { screen: "settings", conversationId: null, section: parts[1] || null };
  return { screen: "board", conversationId: null };
}

// The record pages' path words (Portuguese, as people read them in the URL).
const RECORD_SCREENS = { contato: "contact", negocio: "deal", empresa: "company" };
const RECORD_PATHS = { contact: "contato", deal: "negocio", company: "empresa" };

/** "#/contato/<id>", "#/negocio/<id>", "#/empresa/<id>"; "#/contato/novo" to create. */
export function recordHash(screen, id) {
  return `#/${RECORD_PATHS[screen]}/${encodeURIComponent(id)}`;
}

export function routeHash(screen, conversationId = null) {
  if (screen === "day") return "#/dia";
  if (screen === "inbox") return conversationId ? `#/inbox/${encodeURIComponent(conversationId)}` : "#/inbox";
  if (screen === "dashboard") return "#/dashboard";
  if (screen === "setup") return "#/primeiros-passos";
  if (screen === "settings") return "#/config";
  return "#/board";
}

/** The token of an invitation link ("#/convite/<token>"), or null: it is read before logging in. */
export function invitationToken(hash) {
  const match = /^#\/convite\/(.+)$/.exec(String(hash || ""));
  return match ? decodeURIComponent(match[1]) : null;
}
