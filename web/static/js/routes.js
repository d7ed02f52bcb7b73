// Where the app is, kept in the URL's hash so a reload (or a shared link)
// lands on the same screen: "#/board", "#/inbox", "#/inbox/<conversationId>", "#/dashboard".

/** @returns {{screen: "board" | "inbox" | "dashboard", conversationId: string | null}} */
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
  if (parts[0] === "primeiros-passos") return { screen: "setup", conversationId: null };
  if (parts[0] === "config") return { screen: "settings", conversationId: null, section: parts[1] || null };
  return { screen: "board", conversationId: null };
}

export function routeHash(screen, conversationId = null) {
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
