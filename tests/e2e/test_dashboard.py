"""The dashboard ("Painel") end to end in headless Chromium: from a small
known history (deals moved through the API, their transition times set to
known values; leads captured with sources and a corretor) the cards show
the right figures in their tables and charts (Chart.js, served from the
package); a lead captured while the page is open appears at the next poll
and the "as of" time moves; the CSV downloads of the funnel, the open
deals, the forecast and the deals per corretor hold exactly their tables;
and nothing is asked of any host but the app's own."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import expect

from tests.pipeline.support import create_deal, create_pipeline, move
from tests.reports.support import set_history
from tests.reports.test_funnel import STAGES
from tests.support import PASSWORD

CREATE_CONTACT = """
mutation CreateContact($input: ContactInput!) {
  createContact(input: $input) { contact { id } userErrors { code message field } }
}
"""
FUNNEL_CSV = (
    "\ufeffEtapa;Entraram;Avançaram;Conversão (%);Agora na etapa;Valor na etapa\r\n"
    "Novo;3;2;66,7;0;0,00\r\n"
    "Contato;2;1;50;1;200000,00\r\n"
    "Proposta;1;1;100;1;300000,00\r\n"
    "Ganho;1;0;0;1;100000,00\r\n"
    "Perdido;1;0;0;1;50000,00\r\n"
)
NEGOTIATION_CSV = (
    "\ufeffEtapa;Quantidade;Valor;Valor ponderado\r\n"
    "Novo;0;0,00;0,00\r\n"
    "Contato;1;200000,00;50000,00\r\n"
    "Proposta;1;300000,00;150000,00\r\n"
    "Total;2;500000,00;200000,00\r\n"
)
FORECAST_CSV = "\ufeffMês;Negócios;Valor ponderado\r\nmarço de 2027;1;50000,00\r\nSem data;1;150000,00\r\n"
DEALS_BY_OWNER_CSV = (
    "\ufeffCorretor;Criados;Valor criado;Ganhos;Valor ganho;Perdidos;Valor perdido\r\n"
    "Carla Corretora;2;150000,00;1;100000,00;1;50000,00\r\n"
    "—;1;200000,00;0;0,00;0;0,00\r\n"
)
# The funnel tests' stages, with the odds the forecast weighs the open deals by.
ODDS = {"Novo": 10, "Contato": 25, "Proposta": 50, "Ganho": 100, "Perdido": 0}
WEIGHTED_STAGES = [{**stage, "probability": ODDS[stage["name"]]} for stage in STAGES]
CHART_DATA = "(id) => Chart.getChart(document.querySelector(`#card-${id} canvas`)).data.datasets[0].data"
SAO_PAULO = timedelta(hours=-3)


async def walk(
    gql: Any, token: str, pipeline: dict[str, Any], names: list[str], value: str, **fields: Any
) -> str:
    deal = await create_deal(
        gql, token, pipeline["id"], stageId=pipeline["stage"][names[0]], value=value, **fields
    )
    for name in names[1:]:
        extra = {"lostReason": "Preço"} if name == "Perdido" else {}
        moved = await move(gql, token, dealId=deal["id"], stageId=pipeline["stage"][name], **extra)
        assert moved["userErrors"] == [], moved
    return deal["id"]


async def capture(gql: Any, token: str, name: str, source: str, owner_id: str | None = None) -> None:
    data = await gql.ok(
        CREATE_CONTACT, {"input": {"name": name, "source": source, "ownerId": owner_id}}, token=token
    )
    assert data["createContact"]["userErrors"] == [], data


async def known_history(gql: Any, workspace: Any) -> dict[str, Any]:
    """Four deals (hours after `base`, five hours ago; odds Novo 10%,
    Contato 25%, Proposta 50%):
    A  Novo(0) → Contato(1) → Proposta(3) → Ganho(4), R$ 100.000,00, Carla's
    B  Novo(1) → Contato(2), R$ 200.000,00, nobody's, to close in March 2027
    C  Novo(2) → Perdido(4) "Preço", R$ 50.000,00, Carla's
    D  Proposta 60 days ago (before any range), R$ 300.000,00, nobody's, no close date
    and three leads: two from "Site" (one of Carla Corretora), one from "Instagram" (hers)."""
    token = workspace.token
    carla = await workspace.user("AGENT", name="Carla Corretora")
    pipeline = await create_pipeline(gql, token, WEIGHTED_STAGES, name="Vendas")
    names = ["Novo", "Contato", "Proposta", "Ganho"]
    a = await walk(gql, token, pipeline, names, "100000.00", ownerId=carla["id"])
    b = await walk(
        gql, token, pipeline, ["Novo", "Contato"], "200000.00", expectedCloseDate="2027-03-15T12:00:00Z"
    )
    c = await walk(gql, token, pipeline, ["Novo", "Perdido"], "50000.00", ownerId=carla["id"])
    d = await walk(gql, token, pipeline, ["Proposta"], "300000.00")
    base = datetime.now(UTC) - timedelta(hours=5)

    def at(hours: float) -> datetime:
        return base + timedelta(hours=hours)

    await set_history(a, [at(0), at(1), at(3), at(4)])
    await set_history(b, [at(1), at(2)])
    await set_history(c, [at(2), at(4)])
    await set_history(d, [base - timedelta(days=60)])
    await capture(gql, token, "Lead 1", "Site", carla["id"])
    await capture(gql, token, "Lead 2", "Site")
    await capture(gql, token, "Lead 3", "Instagram", carla["id"])
    return pipeline


async def download_csv(page: Any, title: str) -> tuple[str, str]:
    """The name and text of the file the card's "Baixar CSV" gives."""
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name=f"Baixar CSV: {title}").click()
    download = await waiting.value
    path = await download.path()
    return download.suggested_filename, (await asyncio.to_thread(path.read_bytes)).decode("utf-8")


async def dashboard_page(open_page: Any, server: Any, user: dict[str, Any]) -> Any:
    page = await open_page()
    await page.goto(f"{server.url}/#/dashboard")
    await page.get_by_label("E-mail").fill(user["email"])
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.locator(".as-of")).to_have_text(re.compile(r"^Atualizado às \d\d:\d\d:\d\d$"))
    return page


def rows(page: Any, card: str) -> Any:
    return page.locator(f"#card-{card} tbody tr")


async def test_the_dashboard_shows_a_known_history_polls_a_new_lead_and_downloads_exact_csv(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given the known history, and a manager's view of it (an admin)
    await known_history(gql, workspace)
    admin = await workspace.user("ADMIN", name="Ana Gestora")
    requested: list[str] = []

    # when she opens the dashboard over the last 30 days, the clock in the test's hands
    page = await open_page()
    page.on("request", lambda request: requested.append(request.url))
    await page.clock.install()
    await page.goto(f"{server.url}/#/dashboard")
    await page.get_by_label("E-mail").fill(admin["email"])
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    filters = page.get_by_role("search", name="Filtros do painel")
    await expect(filters).to_be_visible()
    await filters.get_by_label("Período").select_option(label="Últimos 30 dias")
    await filters.get_by_label("Funil").select_option(label="Vendas")
    as_of = page.locator(".as-of")
    await expect(as_of).to_have_text(re.compile(r"^Atualizado às \d\d:\d\d:\d\d$"))
    await expect(page.get_by_role("link", name="Painel")).to_have_attribute("aria-current", "page")

    # then the funnel says, per stage, who entered, went on, is there now and for how much
    await expect(rows(page, "funnel")).to_have_text(
        [
            re.compile(r"^Novo\s*3\s*2\s*66,7%\s*0\s*R\$\s0,00$"),
            re.compile(r"^Contato\s*2\s*1\s*50%\s*1\s*R\$\s200\.000,00$"),
            re.compile(r"^Proposta\s*1\s*1\s*100%\s*1\s*R\$\s300\.000,00$"),
            re.compile(r"^Ganho\s*1\s*0\s*0%\s*1\s*R\$\s100\.000,00$"),
            re.compile(r"^Perdido\s*1\s*0\s*0%\s*1\s*R\$\s50\.000,00$"),
        ]
    )
    tiles = page.locator("#card-funnel .tile dd")
    await expect(tiles).to_have_text(["1", "1", re.compile(r"^R\$\s100\.000,00$"), "50%"])
    assert await page.evaluate("Chart.version") == "4.6.2"  # the vendored one (vendor/chartjs/README.md)
    assert await page.evaluate(CHART_DATA, "funnel") == [3, 2, 1, 1, 1]
    # time in stage: Novo's stays 1 h, 1 h, 2 h; Contato's 2 h; Proposta's 1 h; B still in Contato
    await expect(rows(page, "time-in-stage").first).to_have_text(
        re.compile(r"^Novo\s*3\s*1 h 20 min\s*1 h 00 min\s*2 h 00 min$")
    )
    await expect(rows(page, "time-in-stage").nth(1)).to_have_text(
        re.compile(r"^Contato\s*1\s*2 h 00 min\s*2 h 00 min\s*2 h 00 min$")
    )
    assert await page.evaluate(CHART_DATA, "time-in-stage") == [3600, 7200, 3600, None, None]
    await expect(rows(page, "losses")).to_have_text([re.compile(r"^Preço\s*1$")])
    await expect(rows(page, "by-source")).to_have_text(
        [re.compile(r"^Site\s*2$"), re.compile(r"^Instagram\s*1$")]
    )
    await expect(rows(page, "by-owner")).to_have_text(
        [re.compile(r"^Carla Corretora\s*2$"), re.compile(r"^—\s*1$")]
    )
    assert sum(await page.evaluate(CHART_DATA, "by-period")) == 3
    assert await page.evaluate(CHART_DATA, "by-source") == [2, 1]
    await expect(page.locator("#card-service .tile dd").first).to_have_text("0")

    # when a lead is captured while the page is open, and 15 s go by
    first_as_of = await as_of.text_content()
    await capture(gql, workspace.token, "Lead 4", "Instagram")
    await page.clock.run_for(16000)

    # then the next poll shows it, and the "as of" time has moved
    await expect(rows(page, "by-source")).to_have_text(
        [re.compile(r"^Instagram\s*2$"), re.compile(r"^Site\s*2$")]
    )
    await expect(as_of).not_to_have_text(first_as_of)
    await expect(page.locator(".stale")).to_be_hidden()

    # and the open deals now, by stage and by expected close month, weighted by the stages' odds
    money = r"R\$\s"
    await expect(rows(page, "negotiation")).to_have_text(
        [
            re.compile(rf"^Novo\s*0\s*{money}0,00\s*{money}0,00$"),
            re.compile(rf"^Contato\s*1\s*{money}200\.000,00\s*{money}50\.000,00$"),
            re.compile(rf"^Proposta\s*1\s*{money}300\.000,00\s*{money}150\.000,00$"),
            re.compile(rf"^Total\s*2\s*{money}500\.000,00\s*{money}200\.000,00$"),
        ]
    )
    await expect(page.locator("#card-negotiation .tile dd")).to_have_text(
        ["2", re.compile(rf"^{money}500\.000,00$"), re.compile(rf"^{money}200\.000,00$")]
    )
    assert await page.evaluate(CHART_DATA, "negotiation") == [0, 200000, 300000]
    await expect(rows(page, "forecast")).to_have_text(
        [
            re.compile(rf"^março de 2027\s*1\s*{money}50\.000,00$"),
            re.compile(rf"^Sem data\s*1\s*{money}150\.000,00$"),
        ]
    )
    assert await page.evaluate(CHART_DATA, "forecast") == [50000, 150000]
    # and the deals created, won and lost in the range per corretor (D is older)
    await expect(rows(page, "deals-by-owner")).to_have_text(
        [
            re.compile(
                rf"^Carla Corretora\s*2\s*{money}150\.000,00\s*1\s*{money}100\.000,00\s*1\s*{money}50\.000,00$"
            ),
            re.compile(rf"^—\s*1\s*{money}200\.000,00\s*0\s*{money}0,00\s*0\s*{money}0,00$"),
        ]
    )
    assert await page.evaluate(CHART_DATA, "deals-by-owner") == [100000, 0]

    # when she downloads the funnel's, the open deals', the forecast's and the deals per corretor's tables
    funnel = await download_csv(page, "Funil de vendas")
    negotiation = await download_csv(page, "Propostas em negociação")
    forecast = await download_csv(page, "Previsão de fechamento")
    by_owner = await download_csv(page, "Negócios por corretor")
    await page.screenshot(path="/tmp/dash-desktop.png", full_page=True)

    # then each file is named for today in São Paulo and holds exactly its table
    today = (datetime.now(UTC) + SAO_PAULO).date().isoformat()
    assert funnel == (f"funil-{today}.csv", FUNNEL_CSV)
    assert negotiation == (f"propostas-em-negociacao-{today}.csv", NEGOTIATION_CSV)
    assert forecast == (f"previsao-de-fechamento-{today}.csv", FORECAST_CSV)
    assert by_owner == (f"negocios-por-corretor-{today}.csv", DEALS_BY_OWNER_CSV)

    # and nothing was asked of any host but RevGraph's own (Chart.js included)
    host = server.url.split("//", 1)[1]
    assert any(url.endswith("/vendor/chartjs/chart.umd.js") for url in requested), requested
    assert requested and all(re.match(rf"(https?|wss?)://{re.escape(host)}/", url) for url in requested), (
        requested
    )


async def test_a_failed_poll_keeps_the_figures_and_says_so_and_a_phone_stacks_the_cards(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given the known history and a corretor (an agent: no team or corretor pickers)
    await known_history(gql, workspace)
    agent = await workspace.user("AGENT", name="Bruno Corretor")
    page = await open_page()
    await page.set_viewport_size({"width": 390, "height": 800})
    await page.clock.install()
    await page.goto(f"{server.url}/#/dashboard")
    await page.get_by_label("E-mail").fill(agent["email"])
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    as_of = page.locator(".as-of")
    await expect(as_of).to_have_text(re.compile(r"^Atualizado às "))
    filters = page.get_by_role("search", name="Filtros do painel")
    await expect(filters.get_by_label("Equipe")).to_have_count(0)
    await expect(filters.get_by_label("Corretor")).to_have_count(0)
    # then on a phone the cards are stacked, one above the other, as wide as the screen
    boxes = [await card.bounding_box() for card in await page.locator(".card").all()]
    assert len(boxes) == 13 and len({round(box["x"]) for box in boxes}) == 1, boxes
    assert all(box["width"] <= 390 for box in boxes), boxes
    await page.screenshot(path="/tmp/dash-phone.png", full_page=True)
    shown = await as_of.text_content()

    # when the next poll fails
    async def refuse(route: Any) -> None:
        await route.fulfill(status=502, body="Bad Gateway")

    await page.route("**/graphql", refuse)
    await page.clock.run_for(16000)

    # then a discreet warning names the time of the figures still shown
    stale = page.locator(".stale")
    await expect(stale).to_have_text(f"Não foi possível atualizar; mostrando os dados de {shown[-8:]}.")
    await expect(as_of).to_have_text(shown)
    await expect(page.locator(".card")).to_have_count(13)

    # when the server answers again, the next poll clears it
    await page.unroute("**/graphql", refuse)
    await page.clock.run_for(16000)
    await expect(stale).to_be_hidden()
    await expect(as_of).not_to_have_text(shown)
