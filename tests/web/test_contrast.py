"""WCAG 2.1 AA on every main page of the web app, at 1440x900 and on a
390x844 phone: every visible text (and form control) has the contrast AA
asks against the background it is painted on, and every element the Tab
key reaches shows a focus indicator (tests/web/audit.py computes both in
the page). The pages are those a team uses: log-in (with its error),
sign-up, an invitation link, first steps, Meu dia, the board, a contact's, a deal's and a
company's page, the dashboard, the inbox and a conversation, and each tab
of the settings; with data that shows their badges (overdue, won, lost),
lists and forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from tests.distribution.support import create_queue
from tests.e2e.test_contact_page import a_lead
from tests.e2e.test_my_day import CREATE_DEAL, CREATE_TASK, ok
from tests.inbox.support import create_inbox, receive
from tests.support import PASSWORD
from tests.web.audit import contrast, focus_walk
from tests.web.support import DESKTOP, PHONE, screenshot

FROM_TEMPLATE = """
mutation { createPipelineFromTemplate(key: "real_estate_pre_sales") {
  pipeline { id stages { id name } } userErrors { code } } }
"""
CREATE_FORM = """
mutation($input: FormInput!) { createForm(input: $input) { form { id } userErrors { code message } } }
"""
CREATE_RULE = """
mutation($input: AutomationRuleInput!) { createAutomationRule(input: $input) { rule { id } userErrors { code message } } }
"""
CREATE_INVITATION = """
mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { path userErrors { code message } } }
"""
CREATE_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { userErrors { code message } } }
"""
MOVE = """
mutation($input: MoveDealInput!) { moveDeal(input: $input) { userErrors { code message } } }
"""


async def a_working_workspace(gql: Any, workspace: Any) -> dict[str, Any]:
    """The data that makes every page show what it can: a lead with a
    company, deals open, won and lost, tasks overdue and for later, a
    conversation, a roleta, a form, an automation, an invitation, a key."""
    token = workspace.token
    lead = await a_lead(gql, workspace)
    funnel = (await gql.ok(FROM_TEMPLATE, token=token))["createPipelineFromTemplate"]
    assert funnel["userErrors"] == [], funnel
    stage = {s["name"]: s["id"] for s in funnel["pipeline"]["stages"]}
    for title, where in (("Casa Jardins", "Ganho"), ("Loja Centro", "Perdido"), ("Studio Moema", None)):
        deal = await ok(
            gql,
            token,
            CREATE_DEAL,
            {
                "title": title,
                "pipelineId": funnel["pipeline"]["id"],
                "value": "350000.00",
                "contactId": lead["contact"],
            },
            "createDeal",
        )
        if where:
            moved = await gql.ok(
                MOVE,
                {"input": {"dealId": deal["deal"]["id"], "stageId": stage[where], "lostReason": "Preço"}},
                token=token,
            )
            assert moved["moveDeal"]["userErrors"] == [], moved
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    await ok(
        gql,
        token,
        CREATE_TASK,
        {
            "title": "Retornar a ligação",
            "dueAt": yesterday,
            "contactId": lead["contact"],
            "assigneeId": workspace.admin["id"],
        },
        "createTask",
    )
    agent = await workspace.user("AGENT", name="Caio Corretor")
    members = [{"userId": agent["id"]}, {"userId": workspace.admin["id"]}]
    queue_id = (await create_queue(gql, token, members, name="Plantão"))["id"]
    inbox = await create_inbox(gql, token, queue_id=queue_id, name="Site")
    received = await receive(
        gql, token, inbox["id"], name="Maria Cliente", body="Quero visitar o apartamento"
    )
    assert received["userErrors"] == [], received
    invitation = None
    for query, variables in (
        (CREATE_FORM, {"input": {"name": "Site Horizonte", "source": "site", "queueId": queue_id}}),
        (
            CREATE_RULE,
            {
                "input": {
                    "name": "Boas-vindas",
                    "trigger": {"kind": "CONTACT_CREATED"},
                    "actions": [{"addTag": {"tag": "novo"}}],
                }
            },
        ),
        (CREATE_INVITATION, {"input": {"email": "bruna@example.com", "name": "Bruna", "role": "AGENT"}}),
        (CREATE_KEY, {"input": {"name": "Portal de anúncios", "role": "AGENT", "scope": "READ_ONLY"}}),
    ):
        data = next(iter((await gql.ok(query, variables, token=token)).values()))
        assert data["userErrors"] == [], data
        invitation = data.get("path") or invitation
    return {**lead, "conversation": received["conversation"]["id"], "invitation": invitation}


# (name, the address, what shows the page is drawn)
def pages(lead: dict[str, Any]) -> list[tuple[str, str, str]]:
    settings = ["pessoas", "funis", "roletas", "automacoes", "formularios", "chaves"]
    return [
        ("primeiros-passos", "#/primeiros-passos", ".setup-page h1"),
        ("meu-dia", "#/dia", ".my-tasks .task-row"),
        ("quadro", "#/board", ".card"),
        ("contato", f"#/contato/{lead['contact']}", ".timeline .event, [aria-label='Linha do tempo'] .event"),
        ("negocio", f"#/negocio/{lead['deal']}", "[aria-label='Linha do tempo'] .event"),
        ("empresa", f"#/empresa/{lead['company']}", ".record-page h1"),
        ("painel", "#/dashboard", ".screen-root h1, .screen-root h2"),
        ("conversas", "#/inbox", ".conversation-item"),
        ("conversa", f"#/inbox/{lead['conversation']}", ".message"),
        *[
            (f"config-{key}", f"#/config/{key}", ".settings-section, .setup-step, .setup-form, table")
            for key in settings
        ],
    ]


async def search_and_account_menu(page: Any) -> None:
    """Meu dia with a task completed (its toast showing), the search's
    results and the account menu open."""
    # click, not check(): the row leaves the list once the server answers, and
    # check() would wait for a checked box that is no longer there
    await page.get_by_role("checkbox", name="Concluir “Retornar a ligação”").click()
    await expect(page.locator(".toast").first).to_be_visible()
    await page.locator(".topbar .account-name").click()
    await page.get_by_role("searchbox", name="Pesquisar").fill("mar")
    await expect(page.locator("#global-search-results a").first).to_be_visible()


async def move_menu(page: Any) -> None:
    """The board with a card's "Mover para…" menu open."""
    await page.locator(".card").first.get_by_role("button", name="Mover para…").click()
    await expect(page.get_by_role("menuitem").first).to_be_visible()


async def edit_with_an_error(page: Any) -> None:
    """The deal's data being edited, a bad value refused next to its field, and "Nova tarefa" open."""
    details = page.get_by_role("region", name="Dados")
    await details.get_by_role("button", name="Editar").click()
    await details.get_by_label("Valor (R$)").fill("abc")
    await details.get_by_role("button", name="Salvar").click()
    await expect(details.locator('[data-error-for="value"]')).not_to_be_empty()
    await page.get_by_role("button", name="Nova tarefa").click()


async def transfer_dialog(page: Any) -> None:
    """A conversation with its "Transferir" dialog open (a modal: Tab stays in it)."""
    await page.locator(".thread-pane").get_by_role("button", name="Transferir").click()
    await expect(page.get_by_role("dialog", name="Transferir conversa")).to_be_visible()


OPENED = {
    "meu-dia": search_and_account_menu,
    "quadro": move_menu,
    "negocio": edit_with_an_error,
    "conversa": transfer_dialog,
}


def report(where: str, found: dict[str, Any]) -> list[str]:
    return [
        f"{where}: “{f['text']}” at {f['where']}: {f['color']} on {f['background']} = {f['ratio']}:1"
        f" (needs {f['need']}:1; {f['size']} {f['weight']})"
        for f in found["failures"]
    ]


async def audit(page: Any, name: str, problems: list[str], notes: list[str]) -> None:
    await page.wait_for_timeout(250)  # transitions settle
    await screenshot(page, f"contrast-{name}")
    found = await contrast(page)
    assert found["checked"] > 0, name
    problems.extend(report(name, found))
    notes.extend(
        f"{name}: “{s['text']}” over the image or gradient of {s['image']}" for s in found["skipped"]
    )
    focus = await focus_walk(page)
    assert focus["stops"] > 0, name
    print(f"{name}: {found['checked']} texts, {focus['stops']} focus stops")
    problems.extend(f"{name}: no visible focus on {what}" for what in focus["failures"])


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440x900", "390x844"])
async def test_every_main_page_meets_wcag_aa_contrast_and_shows_focus(
    gql: Any, workspace: Any, server: Any, open_page: Any, viewport: dict[str, int]
) -> None:
    lead = await a_working_workspace(gql, workspace)
    size = f"{viewport['width']}"
    problems: list[str] = []
    notes: list[str] = []

    # logged out: the log-in form with its error, and the sign-up form
    page = await open_page(viewport=viewport)
    await page.get_by_label("E-mail").fill(workspace.email)
    await page.get_by_label("Senha").fill("senha-errada-123")
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.locator(".form-error")).not_to_be_empty()
    await audit(page, f"entrar-{size}", problems, notes)
    await page.get_by_role("button", name="Criar conta").click()
    await expect(page.get_by_label("Nome da empresa")).to_be_visible()
    await audit(page, f"criar-conta-{size}", problems, notes)
    guest = await open_page(viewport=viewport)
    await guest.goto(server.url + lead["invitation"])
    await expect(guest.get_by_role("button", name="Aceitar convite e entrar")).to_be_visible()
    await audit(guest, f"convite-{size}", problems, notes)

    # logged in, page by page
    await page.reload()
    await page.get_by_label("E-mail").fill(workspace.email)
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.locator(".topbar")).to_be_visible()
    for name, where, ready in pages(lead):
        await page.goto(f"{server.url}/{where}")
        await expect(page.locator(ready).first).to_be_visible()
        await audit(page, f"{name}-{size}", problems, notes)
        opened = OPENED.get(name)
        if opened:
            await opened(page)
            await audit(page, f"{name}-aberto-{size}", problems, notes)

    print("\n".join(["skipped (text over an image or gradient):", *notes]) if notes else "nothing skipped")
    assert problems == [], "\n" + "\n".join(problems)


AUDITED = """
<body style="margin:0;background:#ffffff;font:16px sans-serif">
  <p style="color:#777">#777 on white: 4.48, just short of 4.5</p>
  <p style="color:#767676">#767676 on white: 4.54, enough</p>
  <div style="background:rgba(0,0,0,0.5)"><p style="color:#000">black on 50% black over white</p></div>
  <p style="color:rgba(0,0,0,0.45)">45% black text over white</p>
  <div style="opacity:0.5"><p style="color:#000">black at half opacity</p></div>
  <h1 style="font-size:24px;color:#949494">large grey 24px: 3.03, enough for large</h1>
  <p style="font-size:19px;font-weight:700;color:#949494">bold 19px grey: large too</p>
  <p style="font-size:19px;color:#949494">plain 19px grey: not large</p>
  <div style="background:linear-gradient(#000,#fff)"><p>over a gradient</p></div>
  <button disabled style="color:#bbb">disabled</button>
  <span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);color:#eee">for screen readers</span>
  <input placeholder="pale placeholder" style="color:#000">
  <button id="ringed">ringed</button>
  <button id="bare" style="outline:none">bare</button>
  <style>#pale::placeholder, input::placeholder { color: #aaa }</style>
</body>
"""


async def test_the_audit_computes_contrast_with_alpha_size_and_images_and_finds_a_missing_focus_ring(
    browser: Any,
) -> None:
    page = await browser.new_page()
    try:
        await page.set_content(AUDITED)
        found = await contrast(page)
        failing = {f["text"]: f["ratio"] for f in found["failures"]}
        assert failing == {
            "#777 on white: 4.48, just short of 4.5": 4.48,
            # 45% black over white paints #8c8c8c
            "45% black text over white": 3.35,
            # half opacity on the text and its white backdrop: grey 127.5 on white
            "black at half opacity": 3.98,
            "plain 19px grey: not large": 3.03,
            "[placeholder] pale placeholder": 2.32,
        }, found["failures"]
        # black on 50% black over white is black on #808080: 5.3, enough
        assert "black on 50% black over white" not in failing
        assert [s["text"] for s in found["skipped"]] == ["over a gradient"]
        # what is disabled or only for screen readers is not measured
        assert found["checked"] == 11, found

        focus = await focus_walk(page)
        assert focus["stops"] == 3
        assert [f.split(":")[0] for f in focus["failures"]] == ["button “bare”"]
    finally:
        await page.context.close()
