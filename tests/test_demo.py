"""`revgraph serve --demo`: the demo workspace a newcomer logs into."""

import asyncio
import re
from decimal import Decimal
from pathlib import Path

import pytest

from revgraph.web.demo import ADMIN, DEVELOPMENT_PASSWORD, load_demo
from tests.conftest import _empty_tables
from tests.support import LOG_IN

WHO_IS_HERE = """
query {
  me { name role }
  workspace { name currency }
  teams { name manager { name } parent { name } members { role } }
  users(first: 100) { totalCount }
}
"""


LEADS = """
query($after: String) {
  contacts(first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { name email phone source lifecycleStage tags customFields company { name } owner { email } } }
  }
  companies(first: 100) { totalCount edges { node { name domain owner { email } } } }
}
"""

ACTIVITY = """
query($after: String) {
  contacts(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { tasks(first: 10) { edges { node { title done assignee { email } } } }
                   timeline(first: 10) { edges { node { kind actor { email } } } } } }
  }
}
"""


async def _all(gql, document, token):
    """Every page of contacts, plus the first page's other roots."""
    first = await gql.ok(document, token=token)
    nodes = [e["node"] for e in first["contacts"]["edges"]]
    page = first["contacts"]["pageInfo"]
    while page["hasNextPage"]:
        more = await gql.ok(document, {"after": page["endCursor"]}, token=token)
        nodes += [e["node"] for e in more["contacts"]["edges"]]
        page = more["contacts"]["pageInfo"]
    return first, nodes


# Loading the demo takes seconds: the tests that only read it share one
# load (tests/conftest.py keeps the tables between them).
READS_THE_DEMO = pytest.mark.shares_data("demo")


@pytest.fixture
async def demo(server):
    """The demo admin's (e-mail, password): the demo is loaded by the first
    READS_THE_DEMO test and kept for the ones that follow it."""
    return await load_demo(server.settings) or (ADMIN.email, DEVELOPMENT_PASSWORD)


async def _log_in(gql, email, password):
    data = await gql.ok(LOG_IN, {"input": {"email": email, "password": password}})
    assert data["logIn"]["userErrors"] == []
    return data["logIn"]["token"]


@READS_THE_DEMO
async def test_demo_loads_a_real_estate_pre_sales_workspace(gql, demo):
    # given the demo loaded into an empty database
    email, password = demo
    # then its admin logs in and finds the sales hierarchy
    token = await _log_in(gql, email, password)
    data = await gql.ok(WHO_IS_HERE, token=token)
    assert data["me"]["role"] == "ADMIN"
    assert data["workspace"] == {"name": "Imobiliária Horizonte", "currency": "BRL"}
    teams = {t["name"]: t for t in data["teams"]}
    assert teams["Comercial"]["parent"] is None
    assert teams["Comercial"]["manager"]["name"] == "Ricardo Almeida"
    sub_teams = [t for t in teams.values() if t["parent"]]
    assert len(sub_teams) == 3
    assert all(t["parent"]["name"] == "Comercial" for t in sub_teams)
    assert all(len(t["members"]) == 2 and {m["role"] for m in t["members"]} == {"AGENT"} for t in sub_teams)
    assert data["users"]["totalCount"] == 1 + 2 + 6


@READS_THE_DEMO
async def test_demo_has_leads_with_sources_tags_companies_and_owners(gql, demo):
    # given the demo
    email, password = demo
    token = await _log_in(gql, email, password)
    # when the admin lists every lead and company
    data, leads = await _all(gql, LEADS, token)
    # then there are about 200 Brazilian leads, reachable by phone or e-mail
    assert 180 <= data["contacts"]["totalCount"] == len(leads) <= 250
    assert all(lead["phone"] or lead["email"] for lead in leads)
    assert all(
        lead["phone"].startswith("+55") and len(lead["phone"]) == 14 for lead in leads if lead["phone"]
    )
    # at reserved domains (RFC 2606), so no real inbox is ever written to
    domains = {lead["email"].rsplit("@", 1)[1] for lead in leads if lead["email"]}
    assert domains <= {"example.com", "example.net", "example.org"}
    # from several channels, at several lifecycle stages, every one tagged
    assert {"portal", "whatsapp", "instagram", "form", "indicação"} <= {lead["source"] for lead in leads}
    assert {"LEAD", "MQL", "SQL"} <= {lead["lifecycleStage"] for lead in leads}
    assert all(len(lead["tags"]) >= 2 for lead in leads)
    tags = {tag for lead in leads for tag in lead["tags"]}
    assert {"apartamento", "financiamento", "zona sul"} <= tags
    assert all("bairro" in lead["customFields"] for lead in leads)
    # every lead is owned: by the agent who created it, or through the roleta
    assert all(lead["owner"] for lead in leads)
    assert any(lead["company"] for lead in leads)
    companies = data["companies"]["edges"]
    assert data["companies"]["totalCount"] >= 10
    assert all(c["node"]["owner"] and c["node"]["domain"] for c in companies)


@READS_THE_DEMO
async def test_demo_leads_have_notes_and_tasks_written_by_their_owners(gql, demo):
    # given the demo
    email, password = demo
    token = await _log_in(gql, email, password)
    # when the admin reads the leads' tasks and timelines
    _, leads = await _all(gql, ACTIVITY, token)
    tasks = [t["node"] for lead in leads for t in lead["tasks"]["edges"]]
    events = [e["node"] for lead in leads for e in lead["timeline"]["edges"]]
    # then follow-ups exist, some done, and notes sit on the timelines
    assert len(tasks) >= 30
    assert any(t["done"] for t in tasks) and any(not t["done"] for t in tasks)
    assert sum(e["kind"] == "note.added" for e in events) >= 30
    # written by agents, not all by the admin
    assert {e["actor"]["email"] for e in events if e["actor"]} - {email}


DEMO_FUNNEL = """
{
  pipelines { name stages { name dealCount } }
  queues { name strategy mode members { user { email } } }
  assignments(first: 100) { totalCount edges { node { status reason user { email } } } }
}
"""


@READS_THE_DEMO
async def test_demo_has_the_pre_sales_funnel_and_roletas(gql, demo):
    email, password = demo
    data = await gql.ok(DEMO_FUNNEL, token=await _log_in(gql, email, password))
    (pipeline,) = data["pipelines"]
    names = [s["name"] for s in pipeline["stages"]]
    assert names == ["Novo lead", "Em contato", "Visita agendada", "Proposta", "Ganho", "Perdido"]
    assert sum(s["dealCount"] for s in pipeline["stages"]) == 60
    assert all(s["dealCount"] > 0 for s in pipeline["stages"])
    assert {q["strategy"] for q in data["queues"]} == {"ROUND_ROBIN", "WEIGHTED"}
    assignments = [e["node"] for e in data["assignments"]["edges"]]
    assert assignments and all(
        a["status"] == "ASSIGNED" and a["reason"].startswith("WEIGHTED") for a in assignments
    )


@READS_THE_DEMO
async def test_demo_ships_three_automation_rules(gql, demo):
    email, password = demo
    data = await gql.ok(
        "{ automationRules { name enabled trigger { kind } } }", token=await _log_in(gql, email, password)
    )
    rules = {r["name"]: r for r in data["automationRules"]}
    assert len(rules) == 3 and all(r["enabled"] for r in rules.values())
    assert rules["Ligar para lead novo em até 1 hora"]["trigger"]["kind"] == "LEAD_CAPTURED"
    assert {r["trigger"]["kind"] for r in rules.values()} == {"LEAD_CAPTURED", "DEAL_STAGE_CHANGED"}


DEMO_DEVELOPMENTS = """
{
  developments(first: 20) { totalCount edges { node { name status priceMin priceMax typologies developer { name } } } }
  deals(first: 100, filter: {developmentId: {isNull: false}}) { totalCount }
  contacts(first: 100) { edges { node { customFields interests { name } } } }
}
"""


@READS_THE_DEMO
async def test_demo_sells_empreendimentos_that_deals_and_leads_are_interested_in(gql, demo):
    # given the demo
    _, password = demo
    # when an agent looks at the developments, deals and leads
    data = await gql.ok(
        DEMO_DEVELOPMENTS, token=await _log_in(gql, "beatriz.santos@horizonte.example", password)
    )
    # then every development has its construtora, its price range and typologies
    developments = [e["node"] for e in data["developments"]["edges"]]
    assert data["developments"]["totalCount"] == 7
    assert all(d["developer"] and d["typologies"] for d in developments)
    assert all(Decimal(d["priceMin"]) < Decimal(d["priceMax"]) for d in developments)
    # and the agent's deals name one, and their leads who asked for one are interested in it
    assert data["deals"]["totalCount"] > 0
    leads = [e["node"] for e in data["contacts"]["edges"]]
    asked = [lead for lead in leads if "empreendimento" in lead["customFields"]]
    assert asked and all(
        [d["name"] for d in lead["interests"]] == [lead["customFields"]["empreendimento"]] for lead in asked
    )


DEALS_AND_LEADS = "{ deals(first: 1) { totalCount } contacts(first: 1) { totalCount } }"


README = Path(__file__).resolve().parents[1] / "README.md"


@READS_THE_DEMO
async def test_the_coordinator_the_readme_names_sees_fewer_deals_than_the_admin(gql, demo):
    # given the README's demo section, which names the coordinator of a sub-team and what she sees
    readme = await asyncio.to_thread(README.read_text, encoding="utf-8")
    named = re.search(
        r"as\s+`([^`]+)`, the coordinator of .*?only her team's (\d+) deals and (\d+) leads", readme, re.S
    )
    assert named, "the README's demo section names the coordinator whose view differs"
    coordinator, deals, leads = named.group(1), int(named.group(2)), int(named.group(3))
    everything = re.search(r"as the admin does \((\d+) deals, (\d+) leads\)", readme)
    assert everything

    # when the demo is loaded and the admin and she log in
    email, password = demo
    admin = await gql.ok(DEALS_AND_LEADS, token=await _log_in(gql, email, password))
    seen = await gql.ok(DEALS_AND_LEADS, token=await _log_in(gql, coordinator, password))

    # then she sees fewer deals than the admin, exactly as many as the README says
    assert 0 < seen["deals"]["totalCount"] < admin["deals"]["totalCount"]
    assert (seen["deals"]["totalCount"], seen["contacts"]["totalCount"]) == (deals, leads)
    assert (admin["deals"]["totalCount"], admin["contacts"]["totalCount"]) == tuple(
        map(int, everything.groups())
    )


@READS_THE_DEMO
async def test_demo_is_not_loaded_into_a_database_that_has_a_workspace(gql, server, demo):
    # given a database with the demo already in it
    email, password = demo
    token = await _log_in(gql, email, password)
    before = await gql.ok(WHO_IS_HERE, token=token)
    # when the demo is asked for again
    again = await load_demo(server.settings)
    # then nothing is loaded and nothing changed
    assert again is None
    assert await gql.ok(WHO_IS_HERE, token=token) == before


# The last of the demo's readers: it empties the tables and loads the demo
# again, and the tables are emptied after it anyway.
@READS_THE_DEMO
async def test_demo_data_is_the_same_on_every_load(gql, server, demo):
    # given the demo loaded once (into an empty database)
    email, password = demo
    _, first = await _all(gql, LEADS, await _log_in(gql, email, password))
    # when it is loaded again into an empty database
    await _empty_tables()
    email, password = await load_demo(server.settings)
    _, second = await _all(gql, LEADS, await _log_in(gql, email, password))
    # then the leads are the same
    assert second == first
