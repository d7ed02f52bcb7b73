"""Developments (empreendimentos): ADMIN registers, changes and archives
them; everyone in the workspace reads them; deals link to one and filter
by it; another workspace's development behaves like a random id."""

from __future__ import annotations

import pytest

from revgraph.resolvers.ids import encode_id
from tests.graph.development_support import (
    ARCHIVE_DEVELOPMENT,
    CREATE_DEVELOPMENT,
    DEVELOPMENT,
    DEVELOPMENT_NODE,
    DEVELOPMENTS,
    RESERVA_IPE,
    SET_INTERESTS,
    UNARCHIVE_DEVELOPMENT,
    UPDATE_DEVELOPMENT,
    create_development,
    development_names,
)
from tests.graph.documents import create_company, create_contact
from tests.pipeline.support import CREATE_DEAL, UPDATE_DEAL, create_deal, create_pipeline, move

DEAL_DEVELOPMENT = """
query DealDevelopment($id: ID!) {
  deal(id: $id) {
    id version development { id name archivedAt }
    timeline(first: 20) { edges { node { kind summary data } } }
  }
}
"""
DEALS_OF = """
query DealsOf($filter: DealFilter) { deals(filter: $filter, first: 100) { edges { node { title } } } }
"""
CREATE_PIPELINE_REQUIRING = """
mutation CreatePipeline($input: PipelineInput!) {
  createPipeline(input: $input) { pipeline { id stages { id name } } userErrors { code message field } }
}
"""
UNKNOWN = encode_id("Development", 2**31 - 2)


async def test_an_admin_registers_a_development_and_everyone_in_the_workspace_reads_it(gql, workspace):
    # given a construtora that the admin created, owned by nobody
    agent = await workspace.user("AGENT")
    builder = await create_company(gql, workspace.token, name="Construtora Vale Verde")
    # when the admin registers a development built by it
    development = await create_development(gql, workspace.token, **RESERVA_IPE, developerId=builder["id"])
    # then its fields are kept, normalised
    assert {k: development[k] for k in ("state", "postalCode", "priceMin", "priceMax", "typologies")} == {
        "state": "SP",
        "postalCode": "04511-001",
        "priceMin": "650000.00",
        "priceMax": "1200000.50",
        "typologies": ["2 quartos", "3 quartos", "cobertura"],
    }
    assert (development["status"], development["zone"], development["archivedAt"]) == (
        "LAUNCH",
        "Zona Sul",
        None,
    )
    assert development["developer"] == {"id": builder["id"], "name": "Construtora Vale Verde"}
    # and an agent lists it, opens it by id and by node, and sees its construtora
    assert await development_names(gql, agent["token"]) == ["Reserva Ipê"]
    seen = (await gql.ok(DEVELOPMENT, {"id": development["id"]}, token=agent["token"]))["development"]
    assert seen["name"] == "Reserva Ipê" and seen["developer"]["name"] == "Construtora Vale Verde"
    node = (await gql.ok(DEVELOPMENT_NODE, {"id": development["id"]}, token=agent["token"]))["node"]
    assert node["developer"]["id"] == builder["id"]
    company = await gql.ok(
        "query($id: ID!) { company(id: $id) { name } }", {"id": builder["id"]}, token=agent["token"]
    )
    assert company["company"] == {"name": "Construtora Vale Verde"}
    # and the registration is on the development's timeline, readable by the agent too
    [event] = [e["node"] for e in seen["timeline"]["edges"]]
    assert event["kind"] == "development.created" and event["data"]["development"]["name"] == "Reserva Ipê"
    timeline_node = "query($id: ID!) { node(id: $id) { ... on TimelineEvent { kind } } }"
    assert (await gql.ok(timeline_node, {"id": event["id"]}, token=agent["token"]))["node"] == {
        "kind": "development.created"
    }


UPDATE_COMPANY = """
mutation UpdateCompany($id: ID!, $input: CompanyUpdateInput!) {
  updateCompany(id: $id, input: $input) { company { id } userErrors { code field } }
}
"""
DELETE_COMPANY = (
    "mutation DeleteCompany($id: ID!) { deleteCompany(id: $id) { deletedId userErrors { code field } } }"
)
COMPANY = "query Company($id: ID!) { company(id: $id) { name deletedAt } }"


async def test_an_agent_reads_the_construtora_but_may_not_change_it(gql, workspace):
    # given a development whose construtora nobody owns
    agent = await workspace.user("AGENT")
    builder = await create_company(gql, workspace.token, name="Construtora Vale Verde")
    await create_development(gql, workspace.token, developerId=builder["id"])
    before = await gql.ok(COMPANY, {"id": builder["id"]}, token=workspace.token)
    # when the agent renames it or moves it to the trash
    renamed = await gql.ok(
        UPDATE_COMPANY, {"id": builder["id"], "input": {"name": "X"}}, token=agent["token"]
    )
    trashed = await gql.ok(DELETE_COMPANY, {"id": builder["id"]}, token=agent["token"])
    # then both are FORBIDDEN, and the company is unchanged
    assert renamed["updateCompany"] == {
        "company": None,
        "userErrors": [{"code": "FORBIDDEN", "field": ["id"]}],
    }
    assert trashed["deleteCompany"] == {
        "deletedId": None,
        "userErrors": [{"code": "FORBIDDEN", "field": ["id"]}],
    }
    assert await gql.ok(COMPANY, {"id": builder["id"]}, token=agent["token"]) == before
    # while the admin still may
    allowed = await gql.ok(
        UPDATE_COMPANY, {"id": builder["id"], "input": {"name": "Vale Verde"}}, token=workspace.token
    )
    assert allowed["updateCompany"]["userErrors"] == []


async def test_only_an_admin_configures_developments_and_a_refusal_changes_nothing(gql, workspace):
    # given a development, a manager and an agent
    development = await create_development(gql, workspace.token, priceMin="500000")
    manager = await workspace.user("MANAGER")
    agent = await workspace.user("AGENT")
    before = await gql.ok(DEVELOPMENT, {"id": development["id"]}, token=workspace.token)
    for caller in (manager, agent):
        # when they try to create, change or archive one
        attempts = [
            (CREATE_DEVELOPMENT, {"input": {"name": "Outro", "status": "READY"}}),
            (UPDATE_DEVELOPMENT, {"id": development["id"], "input": {"status": "SOLD_OUT"}}),
            (ARCHIVE_DEVELOPMENT, {"id": development["id"]}),
            (UNARCHIVE_DEVELOPMENT, {"id": development["id"]}),
        ]
        for document, variables in attempts:
            body = await gql(document, variables, token=caller["token"])
            # then it is a top-level FORBIDDEN
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    # and nothing changed
    assert await gql.ok(DEVELOPMENT, {"id": development["id"]}, token=workspace.token) == before
    assert await development_names(gql, workspace.token) == ["Reserva Ipê"]


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"name": "  "}, ["input", "name"]),
        ({"priceMin": "900000", "priceMax": "800000"}, ["input", "priceMin"]),
        ({"priceMin": "-1"}, ["input", "priceMin"]),
        ({"priceMax": "10.001"}, ["input", "priceMax"]),
        ({"state": "XX"}, ["input", "state"]),
        ({"postalCode": "0451-1001"}, ["input", "postalCode"]),
        ({"typologies": ["ok", "a\tb"]}, ["input", "typologies", "1"]),
    ],
)
async def test_an_invalid_development_is_refused_and_nothing_is_created(gql, workspace, input, field):
    # when the admin registers a development with a bad field
    data = await gql.ok(
        CREATE_DEVELOPMENT, {"input": {"name": "Mirante", "status": "LAUNCH", **input}}, token=workspace.token
    )
    # then it is INVALID on that field, and nothing was created
    payload = data["createDevelopment"]
    assert payload["development"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)]
    assert await development_names(gql, workspace.token, filter={"archived": True}) == []
    assert await development_names(gql, workspace.token) == []


async def test_an_unknown_status_or_a_taken_name_is_refused_and_changes_nothing(gql, workspace):
    # given a development
    development = await create_development(gql, workspace.token, priceMin="500000", priceMax="700000")
    # when another is sent with a status the API does not know
    body = await gql(
        CREATE_DEVELOPMENT, {"input": {"name": "Outro", "status": "DEMOLISHED"}}, token=workspace.token
    )
    # then the request is refused before it runs
    assert "DEMOLISHED" in body["errors"][0]["message"] and body.get("data") is None
    # when one takes its name, in another case
    taken = await gql.ok(
        CREATE_DEVELOPMENT, {"input": {"name": "RESERVA IPÊ", "status": "READY"}}, token=workspace.token
    )
    # then it is a DUPLICATE on the name
    assert [(e["code"], e["field"]) for e in taken["createDevelopment"]["userErrors"]] == [
        ("DUPLICATE", ["input", "name"])
    ]
    # when an update would reverse the price range
    reversed_range = await gql.ok(
        UPDATE_DEVELOPMENT, {"id": development["id"], "input": {"priceMax": "400000"}}, token=workspace.token
    )
    # then it is INVALID on the field sent
    assert [(e["code"], e["field"]) for e in reversed_range["updateDevelopment"]["userErrors"]] == [
        ("INVALID", ["input", "priceMax"])
    ]
    # and nothing changed
    assert await development_names(gql, workspace.token) == ["Reserva Ipê"]
    after = (await gql.ok(DEVELOPMENT, {"id": development["id"]}, token=workspace.token))["development"]
    assert (after["priceMin"], after["priceMax"]) == ("500000.00", "700000.00")
    assert [e["node"]["kind"] for e in after["timeline"]["edges"]] == ["development.created"]


async def test_an_update_records_what_changed_on_the_developments_timeline(gql, workspace):
    # given a development
    development = await create_development(gql, workspace.token, typologies=["2 quartos"])
    # when the admin changes its status, typologies and clears nothing else
    data = await gql.ok(
        UPDATE_DEVELOPMENT,
        {
            "id": development["id"],
            "input": {"status": "UNDER_CONSTRUCTION", "typologies": ["2 quartos", "studio"]},
        },
        token=workspace.token,
    )
    changed = data["updateDevelopment"]["development"]
    assert (changed["status"], changed["typologies"]) == ("UNDER_CONSTRUCTION", ["2 quartos", "studio"])
    # and then sends the same values again
    await gql.ok(
        UPDATE_DEVELOPMENT,
        {"id": development["id"], "input": {"status": "UNDER_CONSTRUCTION"}},
        token=workspace.token,
    )
    # then the timeline holds one change with each field's from/to
    seen = (await gql.ok(DEVELOPMENT, {"id": development["id"]}, token=workspace.token))["development"]
    events = [e["node"] for e in seen["timeline"]["edges"]]
    assert [e["kind"] for e in events] == ["development.updated", "development.created"]
    assert events[0]["data"]["changes"] == {
        "status": {"from": "LAUNCH", "to": "UNDER_CONSTRUCTION"},
        "typologies": {"from": ["2 quartos"], "to": ["2 quartos", "studio"]},
    }
    assert events[0]["actor"]["id"] == workspace.admin["id"]


async def test_lists_filter_by_status_region_price_and_typology_and_search(gql, workspace):
    # given developments across the city
    await create_development(
        gql,
        workspace.token,
        name="Reserva Ipê",
        status="LAUNCH",
        zone="Zona Sul",
        neighborhood="Moema",
        priceMin="650000",
        typologies=["2 quartos", "cobertura"],
    )
    await create_development(
        gql,
        workspace.token,
        name="Vila Pinheiros Studios",
        status="UNDER_CONSTRUCTION",
        zone="Zona Oeste",
        neighborhood="Pinheiros",
        priceMin="380000",
        typologies=["studio"],
    )
    await create_development(
        gql,
        workspace.token,
        name="Mar Azul Guarujá",
        status="READY",
        city="Guarujá",
        state="SP",
        typologies=["2 quartos"],
    )
    token = workspace.token
    # then each filter keeps what matches, by name
    assert await development_names(gql, token) == [
        "Mar Azul Guarujá",
        "Reserva Ipê",
        "Vila Pinheiros Studios",
    ]
    assert await development_names(gql, token, filter={"status": ["LAUNCH", "READY"]}) == [
        "Mar Azul Guarujá",
        "Reserva Ipê",
    ]
    assert await development_names(gql, token, filter={"zone": {"eq": "Zona Oeste"}}) == [
        "Vila Pinheiros Studios"
    ]
    assert await development_names(gql, token, filter={"priceMin": {"lte": "500000"}}) == [
        "Vila Pinheiros Studios"
    ]
    assert await development_names(gql, token, filter={"typologies": ["2 quartos"]}) == [
        "Mar Azul Guarujá",
        "Reserva Ipê",
    ]
    assert await development_names(gql, token, filter={"typologies": ["2 quartos", "cobertura"]}) == [
        "Reserva Ipê"
    ]
    assert await development_names(gql, token, filter={"not": {"status": ["READY"]}}) == [
        "Reserva Ipê",
        "Vila Pinheiros Studios",
    ]
    assert await development_names(gql, token, search="moema") == ["Reserva Ipê"]
    assert await development_names(gql, token, search="GUARUJÁ") == ["Mar Azul Guarujá"]
    # and pages are Relay pages, limited like every list
    page = (await gql.ok(DEVELOPMENTS, {"first": 2}, token=token))["developments"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (3, True)
    rest = await development_names(gql, token, after=page["pageInfo"]["endCursor"])
    assert rest == ["Vila Pinheiros Studios"]
    body = await gql(DEVELOPMENTS, {"first": 101}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    body = await gql(DEVELOPMENTS, {"filter": {"typologies": ["x" * 1000]}}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_deals_link_to_a_development_and_are_filtered_by_it(gql, workspace):
    # given two developments and an agent's deals
    pipeline = await create_pipeline(gql, workspace.token)
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    mirante = await create_development(gql, workspace.token, name="Edifício Mirante Sul")
    agent = await workspace.user("AGENT")
    other = await workspace.user("AGENT")
    # when deals name them on create, update and in a move's patch
    first = await create_deal(gql, agent["token"], pipeline["id"], title="Apto Ipê", developmentId=ipe["id"])
    second = await create_deal(gql, agent["token"], pipeline["id"], title="Apto Mirante")
    updated = await gql.ok(
        UPDATE_DEAL, {"id": second["id"], "input": {"developmentId": mirante["id"]}}, token=agent["token"]
    )
    assert updated["updateDeal"]["userErrors"] == []
    third = await create_deal(gql, other["token"], pipeline["id"], title="Outro Ipê")
    moved = await move(
        gql,
        other["token"],
        dealId=third["id"],
        stageId=pipeline["stage"]["Em contato"],
        patch={"developmentId": ipe["id"]},
    )
    assert moved["userErrors"] == []
    # then each deal shows its development, and the change is on the deal's timeline
    seen = (await gql.ok(DEAL_DEVELOPMENT, {"id": second["id"]}, token=agent["token"]))["deal"]
    assert seen["development"]["name"] == "Edifício Mirante Sul"
    [change] = [e["node"] for e in seen["timeline"]["edges"] if e["node"]["kind"] == "deal.updated"]
    assert change["summary"].endswith("empreendimento")
    assert change["data"]["changes"]["development_id"]["from"] is None
    # and deals filter by development, each caller seeing only their own
    ipe_filter = {"developmentId": {"eq": ipe["id"]}}
    titles = await gql.ok(DEALS_OF, {"filter": ipe_filter}, token=workspace.token)
    assert sorted(e["node"]["title"] for e in titles["deals"]["edges"]) == ["Apto Ipê", "Outro Ipê"]
    mine = await gql.ok(DEALS_OF, {"filter": ipe_filter}, token=agent["token"])
    assert [e["node"]["title"] for e in mine["deals"]["edges"]] == ["Apto Ipê"]
    none = await gql.ok(DEALS_OF, {"filter": {"developmentId": {"isNull": True}}}, token=workspace.token)
    assert none["deals"]["edges"] == []
    listed = (await gql.ok(DEVELOPMENT, {"id": ipe["id"]}, token=agent["token"]))["development"]["deals"]
    assert [e["node"]["title"] for e in listed["edges"]] == ["Apto Ipê"]
    # and clearing the link is a change like any other
    cleared = await gql.ok(
        UPDATE_DEAL, {"id": first["id"], "input": {"developmentId": None}}, token=agent["token"]
    )
    assert cleared["updateDeal"]["userErrors"] == []
    assert (await gql.ok(DEAL_DEVELOPMENT, {"id": first["id"]}, token=agent["token"]))["deal"][
        "development"
    ] is None


async def test_a_stage_may_require_the_development_of_interest(gql, workspace):
    # given a pipeline whose "Qualificado" stage requires a development
    data = await gql.ok(
        CREATE_PIPELINE_REQUIRING,
        {
            "input": {
                "name": "Funil",
                "stages": [{"name": "Novo"}, {"name": "Qualificado", "requiredFields": ["development"]}],
            }
        },
        token=workspace.token,
    )
    stages = {s["name"]: s["id"] for s in data["createPipeline"]["pipeline"]["stages"]}
    pipeline_id = data["createPipeline"]["pipeline"]["id"]
    development = await create_development(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline_id, title="Lead")
    # when the deal moves there without one
    refused = await move(gql, workspace.token, dealId=deal["id"], stageId=stages["Qualificado"])
    # then the gate names the field, and the deal stayed
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("REQUIRED_FIELD_MISSING", ["input", "patch", "developmentId"])
    ]
    assert (await gql.ok(DEAL_DEVELOPMENT, {"id": deal["id"]}, token=workspace.token))["deal"]["version"] == 1
    # and with the development in the move's patch it enters
    moved = await move(
        gql,
        workspace.token,
        dealId=deal["id"],
        stageId=stages["Qualificado"],
        patch={"developmentId": development["id"]},
    )
    assert moved["userErrors"] == [] and moved["deal"]["stage"]["name"] == "Qualificado"


async def test_an_archived_development_leaves_the_lists_and_cannot_be_newly_linked(gql, workspace):
    # given a deal of a development
    pipeline = await create_pipeline(gql, workspace.token)
    development = await create_development(gql, workspace.token)
    deal = await create_deal(
        gql, workspace.token, pipeline["id"], title="Apto", developmentId=development["id"]
    )
    # when the admin archives it
    archived = await gql.ok(ARCHIVE_DEVELOPMENT, {"id": development["id"]}, token=workspace.token)
    assert archived["archiveDevelopment"]["development"]["archivedAt"] is not None
    # then it leaves the lists but not the archive, nor its deal
    assert await development_names(gql, workspace.token) == []
    assert await development_names(gql, workspace.token, filter={"archived": True}) == ["Reserva Ipê"]
    seen = (await gql.ok(DEAL_DEVELOPMENT, {"id": deal["id"]}, token=workspace.token))["deal"]
    assert seen["development"]["archivedAt"] is not None
    # and a new deal cannot name it, while the old one may keep it
    refused = await gql.ok(
        CREATE_DEAL,
        {"input": {"title": "Novo", "pipelineId": pipeline["id"], "developmentId": development["id"]}},
        token=workspace.token,
    )
    assert [(e["code"], e["field"]) for e in refused["createDeal"]["userErrors"]] == [
        ("NOT_FOUND", ["input", "developmentId"])
    ]
    kept = await gql.ok(
        UPDATE_DEAL,
        {"id": deal["id"], "input": {"title": "Apto 2", "developmentId": development["id"]}},
        token=workspace.token,
    )
    assert kept["updateDeal"]["userErrors"] == []
    # and it cannot be changed until it is unarchived, unless a live one took its name
    frozen = await gql.ok(
        UPDATE_DEVELOPMENT, {"id": development["id"], "input": {"status": "READY"}}, token=workspace.token
    )
    assert frozen["updateDevelopment"]["userErrors"][0]["code"] == "RULE_VIOLATION"
    twin = await create_development(gql, workspace.token, name="Reserva Ipê")
    taken = await gql.ok(UNARCHIVE_DEVELOPMENT, {"id": development["id"]}, token=workspace.token)
    assert [(e["code"], e["field"]) for e in taken["unarchiveDevelopment"]["userErrors"]] == [
        ("DUPLICATE", ["id"])
    ]
    await gql.ok(
        UPDATE_DEVELOPMENT, {"id": twin["id"], "input": {"name": "Reserva Ipê II"}}, token=workspace.token
    )
    back = await gql.ok(UNARCHIVE_DEVELOPMENT, {"id": development["id"]}, token=workspace.token)
    assert back["unarchiveDevelopment"]["development"]["archivedAt"] is None
    kinds = [
        e["node"]["kind"]
        for e in (await gql.ok(DEVELOPMENT, {"id": development["id"]}, token=workspace.token))["development"][
            "timeline"
        ]["edges"]
    ]
    assert kinds == ["development.unarchived", "development.archived", "development.created"]


async def test_another_workspaces_development_behaves_like_a_random_id(gql, workspace, other_workspace):
    # given a development in another workspace
    theirs = await create_development(gql, other_workspace.token, name="Mar Azul")
    pipeline = await create_pipeline(gql, workspace.token)
    token = workspace.token
    # when this workspace's admin reads it
    for document, key in ((DEVELOPMENT, "development"), (DEVELOPMENT_NODE, "node")):
        # then it is null, like an id nobody has
        assert (await gql.ok(document, {"id": theirs["id"]}, token=token))[key] is None
        assert (await gql.ok(document, {"id": UNKNOWN}, token=token))[key] is None
    assert await development_names(gql, token) == []
    # when a deal or a change names it, and then a random id
    answers = []
    for development_id in (theirs["id"], UNKNOWN):
        data = await gql.ok(
            CREATE_DEAL,
            {"input": {"title": "Novo", "pipelineId": pipeline["id"], "developmentId": development_id}},
            token=token,
        )
        answers.append(data["createDeal"])
        changed = await gql.ok(
            UPDATE_DEVELOPMENT, {"id": development_id, "input": {"name": "Meu"}}, token=token
        )
        answers.append(changed["updateDevelopment"])
    # then every answer is the same NOT_FOUND, and nothing was created or changed
    assert answers[0] == answers[2] and answers[1] == answers[3]
    assert answers[0]["userErrors"] == [
        {
            "code": "NOT_FOUND",
            "message": "Empreendimento: registro não encontrado.",
            "field": ["input", "developmentId"],
        }
    ]
    assert answers[1]["userErrors"] == [
        {"code": "NOT_FOUND", "message": "Empreendimento: registro não encontrado.", "field": ["id"]}
    ]
    assert (await gql.ok(DEALS_OF, {}, token=token))["deals"]["edges"] == []
    assert await development_names(gql, other_workspace.token) == ["Mar Azul"]
    # and filtering deals by it finds nothing
    filtered = await gql.ok(DEALS_OF, {"filter": {"developmentId": {"eq": theirs["id"]}}}, token=token)
    assert filtered["deals"]["edges"] == []


LIST_WITH_LINKS = """
query Links($first: Int) {
  developments(first: $first) { edges { node { name typologies developer { name } } } }
  contacts(first: $first) { edges { node { name interests { name status } } } }
}
"""


async def _statements_for_page(gql, token, count_sql, size):
    with count_sql() as counter:
        data = await gql.ok(LIST_WITH_LINKS, {"first": size}, token=token)
    assert len(data["developments"]["edges"]) == size and len(data["contacts"]["edges"]) == size
    return counter.statements


async def test_pages_with_developers_typologies_and_interests_cost_the_same_sql_at_any_size(
    gql, workspace, count_sql
):
    # given 12 developments of 3 construtoras and an agent's 12 leads interested in them
    agent = await workspace.user("AGENT")
    builders = [await create_company(gql, workspace.token, name=f"Construtora {i}") for i in range(3)]
    developments = [
        await create_development(
            gql,
            workspace.token,
            name=f"Empreendimento {i:02d}",
            developerId=builders[i % 3]["id"],
            typologies=["2 quartos", f"tipo {i}"],
        )
        for i in range(12)
    ]
    for index in range(12):
        contact = await create_contact(gql, agent["token"], name=f"Lead {index}")
        wanted = [developments[index]["id"], developments[(index + 1) % 12]["id"]]
        await gql.ok(
            SET_INTERESTS, {"contactId": contact["id"], "developmentIds": wanted}, token=agent["token"]
        )
    # when the agent lists a page of 2 and a page of 12 of each, with their links
    small = await _statements_for_page(gql, agent["token"], count_sql, 2)
    large = await _statements_for_page(gql, agent["token"], count_sql, 12)
    # then the number of SQL statements does not grow with the page size
    assert len(large) == len(small), (small, large)
    assert len(large) <= 12, large
