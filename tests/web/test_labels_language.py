"""The web app's labels in the account's language (i18n.js): an English
user reads English, a pt-BR user Portuguese, whatever their browser says;
before log-in the browser's language decides. Every label module uses the
one mechanism and has every key in both languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.support import PASSWORD

JS = Path(__file__).resolve().parents[2] / "web" / "static" / "js"
LABEL_MODULES = sorted(path.name for path in JS.glob("*labels.js"))
SET_LOCALE = "mutation($l: String) { setMyLocale(locale: $l) { userErrors { code } } }"

COMPARE_TABLES = """
async (modules) => {
  for (const module of modules) await import(`/js/${module}`);
  const { TABLES, LANGUAGES } = await import("/js/i18n.js");
  const kind = (value) => (value === null ? "null" : typeof value);
  const problems = [];
  const compare = (where, pt, en) => {
    for (const key of new Set([...Object.keys(pt), ...Object.keys(en)])) {
      if (!(key in en)) problems.push(`${where}.${key}: no English`);
      else if (!(key in pt)) problems.push(`${where}.${key}: no pt-BR`);
      else if (kind(pt[key]) !== kind(en[key])) problems.push(`${where}.${key}: ${kind(pt[key])} vs ${kind(en[key])}`);
      else if (kind(pt[key]) === "object") compare(`${where}.${key}`, pt[key], en[key]);
      else if (kind(pt[key]) === "function" && pt[key].length !== en[key].length)
        problems.push(`${where}.${key}: different arguments`);
      else if (kind(pt[key]) === "string" && !en[key]) problems.push(`${where}.${key}: empty`);
    }
  };
  for (const [name, table] of Object.entries(TABLES)) {
    for (const language of LANGUAGES) if (!table[language]) problems.push(`${name}: no ${language}`);
    if (table["pt-BR"] && table.en) compare(name, table["pt-BR"], table.en);
  }
  return { problems, modules: [...new Set(Object.keys(TABLES).map((name) => name.split(".")[0]))].sort() };
}
"""

SWITCH = """
async () => {
  const { T, FIELD_LABELS } = await import("/js/labels.js");
  const { STATUS } = await import("/js/inbox-labels.js");
  const { useAccountLanguage } = await import("/js/i18n.js");
  const seen = [];
  for (const [user, workspace] of [["en", "pt-BR"], [null, "pt-BR"], [null, "en"], ["fr", null]]) {
    const spoken = useAccountLanguage(user, workspace);
    seen.push([spoken, T.board, T.dealCount(2), FIELD_LABELS.lostReason, Object.values(STATUS)[0], document.documentElement.lang]);
  }
  return seen;
}
"""


async def test_every_label_module_has_every_key_in_both_languages(open_page: Any) -> None:
    page = await open_page()
    result = await page.evaluate(COMPARE_TABLES, LABEL_MODULES)
    assert result["problems"] == []
    # every *labels.js module goes through the one mechanism
    assert result["modules"] == sorted(name.removesuffix(".js") for name in LABEL_MODULES)


async def test_the_users_language_then_the_workspaces_then_the_browsers(open_page: Any) -> None:
    page = await open_page(locale="pt-BR")
    seen = await page.evaluate(SWITCH)
    assert seen == [
        ["en", "Board", "2 deals", "Reason for losing", "Open", "en"],
        ["pt-BR", "Quadro", "2 negócios", "Motivo da perda", "Aberta", "pt-BR"],
        ["en", "Board", "2 deals", "Reason for losing", "Open", "en"],
        # a language not offered: the browser's
        ["pt-BR", "Quadro", "2 negócios", "Motivo da perda", "Aberta", "pt-BR"],
    ]


async def _log_in(page: Any, email: str, *, email_label: str, password_label: str, button: str) -> None:
    await page.get_by_label(email_label).fill(email)
    await page.get_by_label(password_label).fill(PASSWORD)
    await page.get_by_role("button", name=button).click()


async def test_an_english_user_reads_english_and_a_pt_br_user_portuguese(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given an English user (their own setting) and a pt-BR one (the workspace's default)
    english = await workspace.user("ADMIN", name="Emma")
    chosen = await gql.ok(SET_LOCALE, {"l": "en"}, token=english["token"])
    assert chosen["setMyLocale"]["userErrors"] == []
    portuguese = await workspace.user("ADMIN", name="Paula")

    # when the English user logs in from a Portuguese browser
    page = await open_page(locale="pt-BR")
    await _log_in(page, english["email"], email_label="E-mail", password_label="Senha", button="Entrar")
    # then the app speaks English
    await expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    nav = page.get_by_role("navigation", name="Screens")
    for label in ("My day", "Board", "Conversations", "Dashboard", "Settings"):
        await expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    await expect(page.get_by_placeholder("Search contacts, companies, deals…")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "en"

    # and when the pt-BR user logs in from an English browser
    other = await open_page(locale="en-US")
    # (before log-in, the browser's language)
    await _log_in(
        other, portuguese["email"], email_label="E-mail", password_label="Password", button="Log in"
    )
    # then the app speaks Portuguese
    await expect(other.get_by_role("button", name="Sair", exact=True)).to_be_visible()
    nav = other.get_by_role("navigation", name="Telas")
    for label in ("Meu dia", "Quadro", "Conversas", "Painel", "Configurações"):
        await expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    await expect(other.get_by_placeholder("Pesquisar contatos, empresas, negócios…")).to_be_visible()
    assert await other.evaluate("document.documentElement.lang") == "pt-BR"
