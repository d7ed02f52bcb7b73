// GraphQL over HTTP POST /graphql, authenticated by the browser's session
// cookie (session.js) with its CSRF token in a header.

import { language } from "./i18n.js";
import { CSRF_HEADER, session } from "./session.js";

export { session };

export const GRAPHQL_PATH = "/graphql";

function csrfHeaders() {
  const csrf = session.csrf;
  return csrf ? { [CSRF_HEADER]: csrf } : {};
}

/** A top-level GraphQL error (transport, auth, limits); `code` is extensions.code. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code || "INTERNAL";
  }
}

export async function gql(query, variables = {}) {
  // The app's labels are pt-BR: the server's messages should match them
  // before a log-in tells it whose language to use (the user's own wins).
  const headers = { "content-type": "application/json", "accept-language": language(), ...csrfHeaders() };
  let response;
  try {
    response = await fetch(GRAPHQL_PATH, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (error) {
    throw new ApiError(String(error), "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP ${response.status}`, "INTERNAL");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(first.message, first.extensions && first.extensions.code);
  }
  return body.data;
}

export function websocketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${GRAPHQL_PATH}`;
}

export const EXPORT_PATH = "/export";

/**
 * A list as the server's CSV export (GET /export/<list>.csv with the list's
 * filter; ";" and a decimal comma for Excel in Portuguese): resolves to
 * {blob, fileName}; refusals throw ApiError with the server's code.
 */
export async function fetchExport(list, { filter = null, search = null, separator = ";" } = {}) {
  const params = new URLSearchParams({ sep: separator });
  if (filter && Object.keys(filter).length) params.set("filter", JSON.stringify(filter));
  if (search) params.set("search", search);
  const headers = csrfHeaders();
  let response;
  try {
    response = await fetch(`${EXPORT_PATH}/${list}.csv?${params}`, { headers });
  } catch (error) {
    throw new ApiError(String(error), "NETWORK");
  }
  if (!response.ok) {
    let first = null;
    try {
      first = (await response.json()).errors[0];
    } catch {
      throw new ApiError(`HTTP ${response.status}`, "INTERNAL");
    }
    throw new ApiError(first.message, first.extensions && first.extensions.code);
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
  return { blob: await response.blob(), fileName: named ? named[1] : `${list}.csv` };
}
