// The web app's language: pt-BR first, English second. One mechanism for
// every label module (labels.js, inbox-labels.js, record-labels.js,
// dashboard-labels.js, setup-labels.js, settings-labels.js): each gives
// `labels()` its table in both languages and exports what it returns, read
// at the moment a screen draws, so a language chosen after the modules
// loaded still applies.
//
// The language is, in order: the signed-in user's (User.locale, else the
// workspace's Workspace.defaultLocale, learnt from the ME query and kept for
// the next visit, log-in form included), else the browser's
// (navigator.language), else pt-BR.

export const LANGUAGES = ["pt-BR", "en"];
export const DEFAULT_LANGUAGE = "pt-BR";
const KEY = "revgraph.language";

/** The supported language a tag names ("en-US" -> "en", "pt" -> "pt-BR"), or null. */
export function supported(tag) {
  if (!tag) return null;
  const wanted = String(tag).trim().replace("_", "-").toLowerCase();
  const exact = LANGUAGES.find((known) => known.toLowerCase() === wanted);
  if (exact) return exact;
  const primary = wanted.split("-")[0];
  return LANGUAGES.find((known) => known.toLowerCase().split("-")[0] === primary) || null;
}

function stored() {
  try {
    return supported(localStorage.getItem(KEY));
  } catch {
    return null; // storage disabled
  }
}

function browser() {
  const tags = (typeof navigator !== "undefined" && (navigator.languages || [navigator.language])) || [];
  for (const tag of tags) {
    const found = supported(tag);
    if (found) return found;
  }
  return null;
}

let current = stored() || browser() || DEFAULT_LANGUAGE;
if (typeof document !== "undefined") document.documentElement.lang = current;

/** The language labels are read in now. */
export function language() {
  return current;
}

/**
 * Speak the signed-in user's language: their own setting, else their
 * workspace's default, else the browser's. Kept for the next visit.
 * Returns the language now spoken.
 */
export function useAccountLanguage(userLocale, workspaceLocale) {
  current = supported(userLocale) || supported(workspaceLocale) || browser() || DEFAULT_LANGUAGE;
  try {
    localStorage.setItem(KEY, current);
  } catch {
    // storage disabled: this page load still speaks it
  }
  document.documentElement.lang = current;
  return current;
}

/** Every table given to `labels()`, by module name (the tests check both languages have every key). */
export const TABLES = {};

/**
 * A label table in both languages: `{ "pt-BR": {...}, en: {...} }`. Reading
 * a key gives the current language's entry (pt-BR's when English lacks it).
 */
export function labels(name, table) {
  TABLES[name] = table;
  const base = table[DEFAULT_LANGUAGE];
  return new Proxy(base, {
    get(target, key) {
      const chosen = table[current];
      return chosen && key in chosen ? chosen[key] : target[key];
    },
  });
}
