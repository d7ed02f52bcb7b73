"""The web app's labels in the account's language (i18n.js): an English
user reads English, a pt-BR user Portuguese, whatever their browser says;
before log-in the browser's language decides. Every label module uses the
one mechanism and has every key in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.support import PASSWORD

JS = Path(__file__).resolve().parents[2] / "web" / "static" / "js"
LABEL_MODULES = sorted(path.name for path in JS.glob("*labels.js"))
# Screens whose every people-facing string comes from a label module: none may
# hold Portuguese text of its own (the English user would read it).
LABELLED_SCREENS = sorted(
    {path.name for path in JS.glob("settings-*.js") if not path.name.endswith("labels.js")}
    | {
        "reset-password.js",
        "task-list.js",
        "board-view.js",
        "thread-view.js",
        "csv.js",
        "dashboard-deal-cards.js",
        "invite-form.js",
        "setup-forms.js",
    }
)
# Not read by people: the settings sections' addresses (#/config/<key>).
NOT_TEXT = {"pessoas", "funis", "roletas", "automacoes", "formularios", "chaves"}
ACCENTED = re.compile(r"[À-ÖØ-öø-ÿ]")
PORTUGUESE_WORDS = re.compile(
    r"\b(n[aã]o|sim|de|da|do|das|dos|em|para|com|uma?|nenhuma?|ainda|salvar|salvando|remover|editar|"
    r"arquivar|cancelar|confirmar|criar|adicionar|novo|nova|escolha|configurar|campo|chaves?|regras?|"
    r"segredo|origem|campanha|roletas?|funil|etapa|tipo|pessoas?|peso|capacidade|membros|tirar|copiar|"
    r"convites|ativa|ativo|desativad[ao]|pausado|contato|enviar|carregando|senha|valor|escopo|criada|"
    r"quando|motivo|tentar|rodando|falhou|pulada|encerrada|aguardando|exige|equipes?|leads?|"
    r"propostas|previsao|negocios|corretor|aberta|ganho|perdido|nome|telefone|mensagem|agora|modo|"
    r"na|fila|ex|completa|somente|leitura|probabilidade|campos|exigid[oa]s?|sem|limite|adicionando|"
    r"menos|carregado|todos|os|funis|etapas)\b",
    re.IGNORECASE,
)
# After one of these (or at the start), "/" opens a regular expression, not a division.
BEFORE_REGEX = set("(,=:[!&|?{};+-*%<>~^")
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


def string_literals(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of each string literal of a JS module; comments and regular expressions skipped."""
    i, end, line, last = 0, len(source), 1, ""
    while i < end:
        char = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i) if "\n" in source[i:] else end
            continue
        if source.startswith("/*", i):
            close = source.find("*/", i + 2)
            close = end if close < 0 else close + 2
            line += source.count("\n", i, close)
            i = close
            continue
        if char == "/" and (last == "" or last in BEFORE_REGEX):
            j, in_class = i + 1, False
            while j < end and (in_class or source[j] != "/"):
                if source[j] == "\\":
                    j += 1
                elif source[j] in "[]":
                    in_class = source[j] == "["
                j += 1
            i, last = j + 1, "/"
            continue
        if char in "\"'`":
            j, start = i + 1, line
            while j < end and source[j] != char:
                if source[j] == "\\":
                    j += 1
                elif source[j] == "\n":
                    line += 1
                j += 1
            yield start, source[i + 1 : j]
            i, last = j + 1, char
            continue
        if char == "\n":
            line += 1
        if not char.isspace():
            last = char
        i += 1


def portuguese(text: str) -> bool:
    text = re.sub(r"\$\{[^}]*\}", " ", text)  # a template's expressions are code
    return text not in NOT_TEXT and bool(ACCENTED.search(text) or PORTUGUESE_WORDS.search(text))


def test_the_scan_sees_portuguese_in_strings_only() -> None:
    source = (
        '// Salvar: a comment\n/* Remover\n*/ const a = "Salvar";\n'
        "const b = x.replace(/[\";]/g, '') + `Editar ${name}` + 'online';\n"
        'const c = { OPEN: "Aberta" };\n'
    )
    found = [(line, text) for line, text in string_literals(source) if portuguese(text)]
    assert found == [(3, "Salvar"), (4, "Editar ${name}"), (5, "Aberta")]


def test_the_screens_take_their_text_from_label_modules() -> None:
    leaks = [
        f"{name}:{line}: {text!r}"
        for name in LABELLED_SCREENS
        for line, text in string_literals((JS / name).read_text(encoding="utf-8"))
        if portuguese(text)
    ]
    assert leaks == []


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


async def test_an_english_admin_reads_the_settings_and_the_reset_page_in_english(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given an administrator who reads English
    admin = await workspace.user("ADMIN", name="Emma")
    chosen = await gql.ok(SET_LOCALE, {"l": "en"}, token=admin["token"])
    assert chosen["setMyLocale"]["userErrors"] == []
    page = await open_page(locale="pt-BR")
    await _log_in(page, admin["email"], email_label="E-mail", password_label="Senha", button="Entrar")
    await expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()

    # when they open the settings' API keys
    await page.evaluate("location.hash = '#/config/chaves'")
    # then the sections and the form speak English
    tabs = page.get_by_role("navigation", name="Settings")
    for label in (
        "People and teams",
        "Pipelines and stages",
        "Lead queues",
        "Automations",
        "Forms",
        "API keys",
    ):
        await expect(tabs.get_by_role("link", name=label, exact=True)).to_be_visible()
    form = page.get_by_role("form", name="New API key")
    await expect(form.get_by_role("button", name="Create key", exact=True)).to_be_visible()
    scopes = form.get_by_label("Scope", exact=True).locator("option")
    assert await scopes.all_inner_texts() == ["Full", "Read only", "Lead intake"]

    # and a browser in English opening a reset link without its code reads English too
    reset = await open_page(locale="en-US")
    await reset.goto(reset.url.split("#")[0].rstrip("/") + "/reset-password")
    await expect(reset.get_by_role("heading", name="Create a new password")).to_be_visible()
    await expect(reset.get_by_role("alert")).to_have_text(
        "This link does not carry the reset code. Ask your administrator for a new link."
    )
    await expect(reset.get_by_label("Repeat the new password")).to_be_disabled()
    assert await reset.title() == "New password · RevGraph"
