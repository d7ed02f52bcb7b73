"""The web board end to end in headless Chromium: two tabs on one pipeline,
a drag in one moves the card in the other; a stage gate asks for the missing
field in place and the retry moves the card; the keyboard menu moves too; a
dropped live connection resumes with `since` and catches up."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.async_api import expect

from tests.support import PASSWORD

CREATE_PIPELINE = """
mutation CreatePipeline($input: PipelineInput!) {
  createPipeline(input: $input) { pipeline { id stages { id name } } userErrors { code message field } }
}
"""

CREATE_CONTACT = """
mutation CreateContact($input: ContactInput!) {
  createContact(input: $input) { contact { id } userErrors { code message field } }
}
"""

CREATE_DEAL = """
mutation CreateDeal($input: DealInput!) {
  createDeal(input: $input) { deal { id version } userErrors { code message field } }
}
"""

MOVE_DEAL = """
mutation MoveDeal($input: MoveDealInput!) {
  moveDeal(input: $input) { deal { id version } userErrors { code message field } }
}
"""

DEAL = """
query Deal($id: ID!) { deal(id: $id) { id title value version stage { id name } } }
"""

BOARD_SEQUENCE = """
query Board($id: ID!) { pipeline(id: $id) { boardSequence } }
"""


async def given_a_board(gql: Any, workspace: Any) -> dict[str, Any]:
    """A pipeline whose "Proposta" stage requires a value, with three deals."""
    data = await gql.ok(
        CREATE_PIPELINE,
        {
            "input": {
                "name": "Vendas",
                "stages": [
                    {"name": "Novo", "probability": 10},
                    {"name": "Qualificado", "probability": 30},
                    {"name": "Proposta", "probability": 60, "requiredFields": ["value"]},
                    {"name": "Perdido", "kind": "LOST"},
                ],
            }
        },
        token=workspace.token,
    )
    payload = data["createPipeline"]
    assert payload["userErrors"] == [], payload
    pipeline = payload["pipeline"]
    stages = {stage["name"]: stage["id"] for stage in pipeline["stages"]}
    contact = await gql.ok(CREATE_CONTACT, {"input": {"name": "Bruno Comprador"}}, token=workspace.token)
    assert contact["createContact"]["userErrors"] == [], contact
    contact_id = contact["createContact"]["contact"]["id"]
    deals = {}
    for title, stage, value, buyer in [
        ("Apartamento Centro", "Novo", "350000.00", contact_id),
        ("Casa Jardins", "Novo", None, None),
        ("Sala Comercial", "Qualificado", "120000.00", None),
    ]:
        created = await gql.ok(
            CREATE_DEAL,
            {
                "input": {
                    "title": title,
                    "pipelineId": pipeline["id"],
                    "stageId": stages[stage],
                    "value": value,
                    "ownerId": workspace.admin["id"],
                    "contactId": buyer,
                }
            },
            token=workspace.token,
        )
        assert created["createDeal"]["userErrors"] == [], created
        deals[title] = created["createDeal"]["deal"]["id"]
    return {"id": pipeline["id"], "stages": stages, "deals": deals}


async def logged_in_board(open_page: Any, workspace: Any) -> Any:
    page = await open_page()
    await page.get_by_label("E-mail").fill(workspace.email)
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live")
    return page


def column(page: Any, name: str) -> Any:
    return page.locator(f'.column[data-stage-name="{name}"]')


def card(page: Any, deal_id: str) -> Any:
    return page.locator(f'.card[data-deal-id="{deal_id}"]')


async def deal_now(gql: Any, workspace: Any, deal_id: str) -> dict[str, Any]:
    return (await gql.ok(DEAL, {"id": deal_id}, token=workspace.token))["deal"]


async def test_a_drag_in_one_tab_moves_the_card_in_the_other(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given two tabs logged in as the admin on the same board
    board = await given_a_board(gql, workspace)
    apartment = board["deals"]["Apartamento Centro"]
    first = await logged_in_board(open_page, workspace)
    second = await logged_in_board(open_page, workspace)
    await expect(column(second, "Novo").locator(".count")).to_have_text("2 negócios")
    await expect(column(second, "Novo").locator(".total")).to_have_text(re.compile(r"R\$\s350\.000,00"))
    await expect(card(second, apartment).locator(".owner")).to_have_text("Ana Admin")
    await expect(card(second, apartment).locator(".contact")).to_have_text("Bruno Comprador")

    # when the first tab drags "Apartamento Centro" onto "Qualificado"
    await card(first, apartment).drag_to(column(first, "Qualificado").locator(".cards"))

    # then the second tab shows it there, with both column headers updated
    await expect(column(second, "Qualificado").locator(card(second, apartment))).to_be_visible()
    await expect(column(second, "Qualificado").locator(".count")).to_have_text("2 negócios")
    await expect(column(second, "Qualificado").locator(".total")).to_have_text(
        re.compile(r"R\$\s470\.000,00")
    )
    await expect(column(second, "Novo").locator(".count")).to_have_text("1 negócio")
    await expect(column(first, "Qualificado").locator(card(first, apartment))).to_be_visible()
    await expect(card(second, apartment).locator(".contact")).to_have_text("Bruno Comprador")
    assert (await deal_now(gql, workspace, apartment))["stage"]["name"] == "Qualificado"


async def test_a_stage_gate_asks_for_the_missing_field_and_the_retry_moves_the_card(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given a deal without a value and a stage that requires one
    board = await given_a_board(gql, workspace)
    house = board["deals"]["Casa Jardins"]
    before = await deal_now(gql, workspace, house)
    first = await logged_in_board(open_page, workspace)
    second = await logged_in_board(open_page, workspace)

    # when the first tab drops it on "Proposta"
    await card(first, house).drag_to(column(first, "Proposta").locator(".cards"))

    # then the move is refused: the form asks for the value in place, the
    # card is back where it was in both tabs, and nothing changed
    gate = column(first, "Proposta").get_by_role("form", name="Campos obrigatórios")
    await expect(gate).to_be_visible()
    await expect(gate.get_by_label("Valor")).to_be_focused()
    await expect(column(first, "Novo").locator(card(first, house))).to_be_visible()
    await expect(column(second, "Novo").locator(card(second, house))).to_be_visible()
    assert await deal_now(gql, workspace, house) == before

    # when the value is filled and the move retried
    await gate.get_by_label("Valor").fill("250.000,00")
    await gate.get_by_role("button", name="Salvar e mover").click()

    # then the card moves with its value, in both tabs, and the form is gone
    await expect(column(second, "Proposta").locator(card(second, house))).to_be_visible()
    await expect(column(second, "Proposta").locator(".total")).to_have_text(re.compile(r"R\$\s250\.000,00"))
    await expect(column(first, "Proposta").locator(card(first, house))).to_contain_text("250.000,00")
    await expect(gate).to_have_count(0)
    after = await deal_now(gql, workspace, house)
    assert after["stage"]["name"] == "Proposta"
    assert after["value"] == "250000.00"


async def test_the_keyboard_menu_moves_a_card_and_a_lost_stage_asks_why(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given a board in one tab
    board = await given_a_board(gql, workspace)
    office = board["deals"]["Sala Comercial"]
    page = await logged_in_board(open_page, workspace)

    # when "Mover para…" is used from the keyboard to send the deal to the LOST stage
    await card(page, office).get_by_role("button", name="Mover para…").focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("menuitem", name="Perdido").click()

    # then the reason is asked for, and with it the card moves
    gate = column(page, "Perdido").get_by_role("form", name="Campos obrigatórios")
    await expect(gate.get_by_label("Motivo da perda")).to_be_focused()
    assert (await deal_now(gql, workspace, office))["stage"]["name"] == "Qualificado"
    await page.keyboard.type("Preço acima do orçamento")
    await gate.get_by_role("button", name="Salvar e mover").click()
    await expect(column(page, "Perdido").locator(card(page, office))).to_be_visible()
    # The move shows at once; wait for the server's answer before asking it.
    await expect(card(page, office)).not_to_have_class(re.compile(r"\bpending\b"))
    assert (await deal_now(gql, workspace, office))["stage"]["name"] == "Perdido"


async def test_a_dropped_live_connection_resumes_with_since_and_catches_up(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given a tab whose websocket goes through a proxy the test can cut
    board = await given_a_board(gql, workspace)
    apartment = board["deals"]["Apartamento Centro"]
    sockets: list[Any] = []
    subscribed: list[dict[str, Any]] = []

    async def proxy(ws: Any) -> None:
        server = ws.connect_to_server()

        def from_page(message: Any) -> None:
            parsed = json.loads(message)
            if parsed.get("type") == "subscribe":
                subscribed.append(parsed["payload"]["variables"])
            server.send(message)

        ws.on_message(from_page)
        sockets.append(ws)

    page = await open_page()
    await page.route_web_socket(re.compile(r"/graphql$"), proxy)
    await page.reload()
    await page.get_by_label("E-mail").fill(workspace.email)
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    indicator = page.locator(".live-indicator")
    await expect(indicator).to_have_attribute("data-state", "live")
    sequence = (await gql.ok(BOARD_SEQUENCE, {"id": board["id"]}, token=workspace.token))["pipeline"]
    assert subscribed == [{"pipelineId": board["id"], "since": sequence["boardSequence"]}]

    # when the connection drops and someone moves a deal meanwhile
    await sockets[0].close(code=1012, reason="restarting")
    await expect(indicator).to_have_attribute("data-state", re.compile("reconnecting|live"))
    moved = await gql.ok(
        MOVE_DEAL,
        {"input": {"dealId": apartment, "stageId": board["stages"]["Qualificado"]}},
        token=workspace.token,
    )
    assert moved["moveDeal"]["userErrors"] == []

    # then the tab reconnects from the last sequence it applied and shows the move
    await expect(column(page, "Qualificado").locator(card(page, apartment))).to_be_visible()
    await expect(indicator).to_have_attribute("data-state", "live")
    assert len(subscribed) >= 2
    assert subscribed[1] == {"pipelineId": board["id"], "since": sequence["boardSequence"]}


UPDATE_DEAL = """
mutation UpdateDeal($id: ID!, $input: DealUpdateInput!) {
  updateDeal(id: $id, input: $input) { deal { id version } userErrors { code message field } }
}
"""


async def test_a_move_of_a_stale_card_is_refused_and_the_card_reloaded(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given a tab that hears nothing live, and a deal changed behind its back
    board = await given_a_board(gql, workspace)
    apartment = board["deals"]["Apartamento Centro"]

    async def silent(ws: Any) -> None:
        # Never connected to the server: no events reach the tab.
        pass

    page = await open_page()
    await page.route_web_socket(re.compile(r"/graphql$"), silent)
    await page.reload()
    await page.get_by_label("E-mail").fill(workspace.email)
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(card(page, apartment)).to_contain_text("350.000,00")
    updated = await gql.ok(
        UPDATE_DEAL, {"id": apartment, "input": {"value": "360000.00"}}, token=workspace.token
    )
    assert updated["updateDeal"]["userErrors"] == []
    before = await deal_now(gql, workspace, apartment)

    # when the tab drags its stale card
    await card(page, apartment).drag_to(column(page, "Qualificado").locator(".cards"))

    # then the move is refused: the user is told, the card shows the deal as
    # it is now, back in its column, and the server kept it unchanged
    await expect(page.locator(".toast")).to_contain_text("alterado por outra pessoa")
    await expect(column(page, "Novo").locator(card(page, apartment))).to_contain_text("360.000,00")
    assert await deal_now(gql, workspace, apartment) == before

    # and a second try, now with the current version, goes through
    await card(page, apartment).drag_to(column(page, "Qualificado").locator(".cards"))
    await expect(column(page, "Qualificado").locator(card(page, apartment))).to_be_visible()
    await expect(card(page, apartment)).not_to_have_class(re.compile(r"\bpending\b"))
    assert (await deal_now(gql, workspace, apartment))["stage"]["name"] == "Qualificado"


async def test_switching_pipelines_keeps_one_board_answering_drags(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given two pipelines, and a tab that looks at the second and comes back
    board = await given_a_board(gql, workspace)
    other = await gql.ok(
        CREATE_PIPELINE,
        {"input": {"name": "Locação", "stages": [{"name": "Visita"}, {"name": "Contrato"}]}},
        token=workspace.token,
    )
    assert other["createPipeline"]["userErrors"] == []
    apartment = board["deals"]["Apartamento Centro"]
    before = await deal_now(gql, workspace, apartment)
    page = await logged_in_board(open_page, workspace)
    picker = page.get_by_label("Funil")
    await picker.select_option(label="Locação")
    await expect(column(page, "Visita")).to_be_visible()
    await picker.select_option(label="Vendas")
    await expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live")
    moves: list[str] = []
    page.on("request", lambda r: moves.append(r.url) if "moveDeal" in (r.post_data or "") else None)

    # when a card is dragged
    await card(page, apartment).drag_to(column(page, "Qualificado").locator(".cards"))

    # then exactly one move was sent (the boards looked at before are gone) and it went through
    await expect(column(page, "Qualificado").locator(card(page, apartment))).to_be_visible()
    await expect(card(page, apartment)).not_to_have_class(re.compile(r"\bpending\b"))
    assert len(moves) == 1
    after = await deal_now(gql, workspace, apartment)
    assert after["stage"]["name"] == "Qualificado"
    assert after["version"] == before["version"] + 1
