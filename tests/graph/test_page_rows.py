"""Pages answered straight from their rows (schema/lean_rows.py, issue 15):
a board's card (and a list's edge) is completed from its row, with no
Edge or Deal object made for it, and answers exactly what the same card
completed over its objects answers — and what graphql-core answers with no
plan at all — field by field, delivered cost included, on both backends."""

import json
from types import SimpleNamespace

import pytest

from revgraph.resolvers import pagination
from revgraph.schema import build_schema, deals, lean_execution, lean_plans, lean_row_plans, lean_rows
from revgraph.schema import contacts as contacts_schema
from revgraph.schema.connections import Edge
from revgraph.schema.lean_execution import member_from_row
from tests.graph.custom_field_support import define
from tests.graph.documents import DELETE_CONTACT, create_company, create_contact
from tests.graph.test_board_cards import BOARD, WIDE_CARD, _board, _cards
from tests.graph.test_hot_lists import count_plan_runs
from tests.pipeline.support import create_deal, create_pipeline

CARD_WITH_EDGES = """
query($id: ID!, $first: Int!) {
  pipeline(id: $id) { stages { deals(first: $first) {
    edges { __typename cursor node { __typename %s } }
  } } }
}
"""


async def _answers(gql, token, document, variables, monkeypatch):
    """The answer three ways: from the rows; over the Edge and Deal objects
    (the rows' path off); by graphql-core alone (no plan)."""
    answers = []
    for mode in ("rows", "objects", "graphql-core"):
        with monkeypatch.context() as patch:
            if mode == "objects":
                patch.setattr(lean_rows, "_node_plan", lambda *_: None)
            if mode == "graphql-core":
                patch.setattr(lean_plans.CompiledPlans, "plan_for", lambda *_: None)
            body = await gql(document, variables, token=token)
        assert "errors" not in body, body
        answers.append(body)
    return answers


async def _mixed_board(gql, workspace):
    """Cards with every kind of contact (one, none, trashed, one shared by
    two cards), owners of several users and custom fields."""
    await define(gql, workspace.token, entity="DEAL", key="entrada", label="Entrada", type="DECIMAL")
    pipeline = await _cards(gql, workspace, 3)
    await create_deal(gql, workspace.token, pipeline["id"], title="Sem nada", customFields={"entrada": "10"})
    trashed = await create_contact(gql, workspace.token, name="Na lixeira")
    await create_deal(gql, workspace.token, pipeline["id"], title="Contato apagado", contactId=trashed["id"])
    await gql.ok(DELETE_CONTACT, {"id": trashed["id"]}, token=workspace.token)
    shared = await create_contact(gql, workspace.token, name="Dois negócios")
    for title in ("Primeiro", "Segundo"):
        await create_deal(gql, workspace.token, pipeline["id"], title=title, contactId=shared["id"])
    return pipeline


async def test_a_card_from_its_row_is_the_card_from_its_objects_field_by_field(gql, workspace, monkeypatch):
    # given a board of cards with and without contacts, owners and custom fields
    pipeline = await _mixed_board(gql, workspace)
    for card in ("id title value owner { name } contact { name }", WIDE_CARD):
        # when the board, with each edge's cursor and typenames, is read from
        # the rows, over the objects and with no plan
        document = CARD_WITH_EDGES % card
        rows, objects, general = await _answers(
            gql, workspace.token, document, {"id": pipeline["id"], "first": 10}, monkeypatch
        )
        # then the three answers are the same, key order included ...
        assert json.dumps(rows["data"]) == json.dumps(objects["data"]) == json.dumps(general["data"])
        # ... as is the cost charged for what was delivered
        costs = {body["extensions"]["cost"]["actual"] for body in (rows, objects, general)}
        assert len(costs) == 1
    cards = {
        edge["node"]["title"]: edge["node"]
        for stage in rows["data"]["pipeline"]["stages"]
        for edge in stage["deals"]["edges"]
    }
    # and the cards hold what was written: a null contact, a trashed one as
    # null, a shared one on both cards, the custom fields
    assert cards["Sem nada"]["contact"] is None and cards["Sem nada"]["customFields"] == {"entrada": "10"}
    assert cards["Contato apagado"]["contact"] is None
    assert cards["Primeiro"]["contact"] == cards["Segundo"]["contact"]
    assert cards["Negócio 1"]["owner"]["name"] and cards["Negócio 1"]["contact"]["name"] == "Cliente 1"


async def test_a_card_makes_no_edge_no_deal_and_no_contact_object(gql, workspace, monkeypatch):
    # given a board of 6 cards
    pipeline = await _cards(gql, workspace, 6)
    expected = await _board(gql, workspace.token, pipeline["id"])
    made = []
    of = deals.Deal.of
    monkeypatch.setattr(deals.Deal, "of", lambda row, ctx=None: made.append(row) or of(row, ctx))
    edges = lean_rows.PageEdges.edges
    monkeypatch.setattr(
        lean_rows.PageEdges, "edges", lambda self: (self.rows and made.append(self)) or edges(self)
    )
    contacts = []
    contact_of = contacts_schema.Contact.of
    monkeypatch.setattr(contacts_schema.Contact, "of", lambda row: contacts.append(row) or contact_of(row))
    # when it is read again
    cards = await _board(gql, workspace.token, pipeline["id"])
    # then it answers the same, no column with cards made its Edges, and the
    # one column with cards made one Deal (to check its rows make Deals), not
    # one a card (on main: an Edge and a Deal a card)
    assert cards == expected and len(cards) == 6
    assert len(made) == 1
    # and no card made its Contact: each was completed from its joined row
    assert all(card["contact"]["name"].startswith("Cliente") for card in cards) and contacts == []


async def test_a_contact_shown_on_several_cards_is_completed_once(gql, workspace, monkeypatch):
    # given one contact on 3 cards and another on 1
    pipeline = await create_pipeline(gql, workspace.token)
    often = await create_contact(gql, workspace.token, name="Frequente")
    once = await create_contact(gql, workspace.token, name="Uma vez")
    for index, contact in enumerate((often, often, often, once)):
        await create_deal(gql, workspace.token, pipeline["id"], title=f"N{index}", contactId=contact["id"])
    runs = []
    count_plan_runs(monkeypatch, runs)
    # when the board shows each card's contact
    body = await gql(
        BOARD % "id contact { id name }", {"id": pipeline["id"], "first": 50}, token=workspace.token
    )
    assert "errors" not in body
    cards = [edge["node"] for stage in body["data"]["pipeline"]["stages"] for edge in stage["deals"]["edges"]]
    # then every card shows its contact, each contact's selection completed once
    assert sorted(card["contact"]["name"] for card in cards) == ["Frequente"] * 3 + ["Uma vez"]
    assert runs.count("Contact") == 2 and runs.count("Deal") == 4


async def test_page_edges_are_the_edges_to_whoever_reads_them():
    # given a page's edges over two rows
    rows = [object(), object()]
    edges = lean_rows.PageEdges(Edge, rows, ["c0", "c1"], lambda row: ("node", row))
    # then they read as the list of edges they stand for, made once
    assert len(edges) == 2
    assert [(edge.cursor, edge.node) for edge in edges] == [
        ("c0", ("node", rows[0])),
        ("c1", ("node", rows[1])),
    ]
    assert edges[1] is list(edges)[1] and edges == list(edges)


async def _same_three_ways(gql, token, document, variables, monkeypatch):
    """Data, errors (message, path, code) and cost the same from the rows,
    over the objects and with no plan; the answer from the rows."""
    answers = []
    for mode in ("rows", "objects", "graphql-core"):
        with monkeypatch.context() as patch:
            if mode == "objects":
                patch.setattr(lean_rows, "_node_plan", lambda *_: None)
            if mode == "graphql-core":
                patch.setattr(lean_plans.CompiledPlans, "plan_for", lambda *_: None)
            answers.append(await gql(document, variables, token=token))
    shown = [
        (
            json.dumps(body.get("data")),
            [(e["message"], e.get("path"), (e.get("extensions") or {}).get("code")) for e in body["errors"]],
            body["extensions"]["cost"]["actual"],
        )
        for body in answers
    ]
    assert shown[0] == shown[1] == shown[2]
    return answers[0]


async def test_a_cards_failing_edge_is_reported_as_over_the_objects(gql, workspace, monkeypatch):
    # given a board of 3 cards whose second contact's answer fails
    pipeline = await _cards(gql, workspace, 3)
    then = deals._CONTACT.then

    def failing(row):
        if row is not None and row.name == "Cliente 1":
            raise RuntimeError("secret detail")
        return then(row)

    monkeypatch.setattr(deals._CONTACT, "then", failing)
    # when the board is read from the rows, over the objects and with no plan
    body = await _same_three_ways(
        gql, workspace.token, BOARD % "id contact { name }", {"id": pipeline["id"], "first": 10}, monkeypatch
    )
    # then the three agree: that card's contact is null with a masked error
    # at its path, the other cards whole
    (error,) = body["errors"]
    assert "secret" not in error["message"] and error["path"][-1] == "contact"
    cards = [edge["node"] for stage in body["data"]["pipeline"]["stages"] for edge in stage["deals"]["edges"]]
    assert sorted(str(card["contact"]) for card in cards) == sorted(
        ["None", str({"name": "Cliente 0"}), str({"name": "Cliente 2"})]
    )


async def test_a_cards_contact_failing_on_its_joined_row_is_reported_as_over_the_objects(
    gql, workspace, monkeypatch
):
    # given a board of 3 cards whose second contact cannot be checked
    pipeline = await _cards(gql, workspace, 3)
    is_null = deals.is_null

    def failing(row, name):
        if getattr(row, "name", None) == "Cliente 1":
            raise RuntimeError("secret detail")
        return is_null(row, name)

    monkeypatch.setattr(deals, "is_null", failing)
    # when the board is read from the rows, over the objects and with no plan
    body = await _same_three_ways(
        gql, workspace.token, BOARD % "id contact { name }", {"id": pipeline["id"], "first": 10}, monkeypatch
    )
    # then the three agree: that card's contact is null with a masked error
    (error,) = body["errors"]
    assert "secret" not in error["message"] and error["path"][-1] == "contact"


async def test_a_failing_cursor_bubbles_as_over_the_objects(gql, workspace, monkeypatch):
    # given a board whose second card's cursor cannot be made
    pipeline = await _cards(gql, workspace, 3)
    encode = pagination.encode_cursor

    def failing_encoder(keys):  # a page's cursors are made by its keyset's encoder
        def failing(row):
            if row.title == "Negócio 1":
                raise RuntimeError("secret detail")
            return encode(row, keys)

        return failing

    monkeypatch.setattr(pagination, "cursor_encoder", failing_encoder)
    # when the board's cursors are read from the rows, over the objects and with no plan
    body = await _same_three_ways(
        gql, workspace.token, CARD_WITH_EDGES % "title", {"id": pipeline["id"], "first": 10}, monkeypatch
    )
    # then the three agree: one masked error, the non-null cursor's null
    # bubbling up to the first nullable field above it
    (error,) = body["errors"]
    assert "secret" not in error["message"] and error["path"][-1] == "cursor"


CONTACTS_PAGE = """
query($first: Int!) {
  contacts(first: $first) {
    totalCount
    edges { cursor node { __typename id name lifecycleStage source tags company { id name } owner { name } } }
  }
}
"""


async def _contacts(gql, workspace):
    """Contacts of several lifecycle stages, with and without tags and a company."""
    company = await create_company(gql, workspace.token, name="Imobiliária Sol")
    stages = ("LEAD", "MQL", "CUSTOMER", "LEAD")
    for index, stage in enumerate(stages):
        fields = {"lifecycleStage": stage, "tags": [f"t{index}", "vip"] if index % 2 else []}
        if index < 2:
            fields["companyId"] = company["id"]
        await create_contact(gql, workspace.token, name=f"Pessoa {index}", **fields)


async def test_a_contacts_page_from_its_rows_is_the_page_over_its_objects(gql, workspace, monkeypatch):
    # given contacts with tags, lifecycle stages and companies
    await _contacts(gql, workspace)
    made = []
    contact_of = contacts_schema.Contact.of
    # when the page is read from the rows (counting the Contacts made), over
    # the objects and with no plan
    with monkeypatch.context() as patch:
        patch.setattr(contacts_schema.Contact, "of", lambda row: made.append(row) or contact_of(row))
        counted = await gql(CONTACTS_PAGE, {"first": 10}, token=workspace.token)
    rows, objects, general = await _answers(gql, workspace.token, CONTACTS_PAGE, {"first": 10}, monkeypatch)
    # then the three answers are the same, key order and cost included
    assert json.dumps(rows["data"]) == json.dumps(objects["data"]) == json.dumps(general["data"])
    assert json.dumps(counted["data"]) == json.dumps(rows["data"])
    assert len({body["extensions"]["cost"]["actual"] for body in (rows, objects, general)}) == 1
    nodes = [edge["node"] for edge in rows["data"]["contacts"]["edges"]]
    assert sorted(node["lifecycleStage"] for node in nodes) == ["CUSTOMER", "LEAD", "LEAD", "MQL"]
    assert sorted(tuple(node["tags"]) for node in nodes) == [(), (), ("t1", "vip"), ("t3", "vip")]
    # and the rows' path made one Contact (to check its rows make Contacts),
    # not one a row for its tags
    assert len(made) == 1


async def test_a_contacts_tags_that_are_not_strings_are_completed_as_over_the_objects(
    gql, workspace, monkeypatch
):
    # given contacts whose tags' answer holds a value that is not a str
    await _contacts(gql, workspace)
    monkeypatch.setattr(contacts_schema._TAGS, "then", lambda tags: [*tags, 7])
    # when the page is read from the rows, over the objects and with no plan
    rows, objects, general = await _answers(gql, workspace.token, CONTACTS_PAGE, {"first": 10}, monkeypatch)
    # then the three agree: the value coerced as a String
    assert json.dumps(rows["data"]) == json.dumps(objects["data"]) == json.dumps(general["data"])
    assert all(edge["node"]["tags"][-1] == "7" for edge in rows["data"]["contacts"]["edges"])


def test_an_enum_leaf_is_coerced_as_its_type_coerces_it():
    # given the schema's LifecycleStage enum and its coercion kept per member
    enum = build_schema()._schema.type_map["LifecycleStage"]
    coerce = lean_plans.output_of(enum)
    # when every member is coerced twice, then each time as the type coerces it
    for member in (*contacts_schema.LifecycleStage, *contacts_schema.LifecycleStage):
        assert coerce(member) == enum.coerce_output_value(member) == member.name
    # and a value that is not a member is the type's own coercion's (answer or error)
    for value in ("MQL", "nada", 3):
        try:
            expected = enum.coerce_output_value(value)
        except Exception as error:
            expected = type(error)
        try:
            found = coerce(value)
        except Exception as error:
            found = type(error)
        assert found == expected


def test_an_enum_field_from_a_row_is_the_enum_of_its_column():
    # given the contact's lifecycle stage maker
    make = member_from_row(contacts_schema.LifecycleStage, "lifecycle_stage")
    # then a stored value makes its member, and any other value fails as the Enum call does
    for member in contacts_schema.LifecycleStage:
        assert make(SimpleNamespace(lifecycle_stage=member.value)) is member
    for value in ("nada", None, ["LEAD"]):
        with pytest.raises((ValueError, TypeError)) as raised:
            make(SimpleNamespace(lifecycle_stage=value))
        with pytest.raises(type(raised.value)):
            contacts_schema.LifecycleStage(value)


@pytest.mark.parametrize("failure", ["raises", "null"])
async def test_a_cards_failing_leaf_is_reported_as_over_the_objects(gql, workspace, monkeypatch, failure):
    # given a board of 3 cards whose second title fails to compute from its
    # row (raises, or is null in a non-null field), with plans written for
    # this test (the makers they call are the patched ones)
    pipeline = await _cards(gql, workspace, 3)
    monkeypatch.setattr(lean_execution, "plan_cache", lambda schema: lean_plans.PlanCache())
    title = deals.Deal.__dict__["title"]
    make = title.make

    def failing(row):
        if row.title != "Negócio 1":
            return make(row)
        if failure == "raises":
            raise RuntimeError("secret detail")
        return None

    monkeypatch.setattr(title, "make", failing)
    # when the board is read from the rows, over the objects and with no plan
    body = await _same_three_ways(
        gql,
        workspace.token,
        CARD_WITH_EDGES % "id title value owner { name } contact { name }",
        {"id": pipeline["id"], "first": 10},
        monkeypatch,
    )
    # then the three agree (data, errors, cost): a masked error at that
    # title, its null bubbling up to the first nullable field above it
    (error,) = body["errors"]
    assert error["path"][-1] == "title" and "secret" not in error["message"]


async def test_a_row_plans_function_is_written_once_and_kept_with_its_plan(gql, workspace, monkeypatch):
    # given a board of 3 cards with owner and contact, and plans kept from
    # this test's first request on
    pipeline = await _cards(gql, workspace, 3)
    cache = lean_plans.PlanCache()
    monkeypatch.setattr(lean_execution, "plan_cache", lambda schema: cache)
    written = []
    generate = lean_row_plans._generate
    monkeypatch.setattr(
        lean_row_plans, "_generate", lambda plan: written.append(plan.type_name) or generate(plan)
    )
    document = BOARD % "id title value owner { name } contact { name }"
    # when the board is read twice
    first = await gql(document, {"id": pipeline["id"], "first": 50}, token=workspace.token)
    second = await gql(document, {"id": pipeline["id"], "first": 50}, token=workspace.token)
    # then the first request wrote the card's function and its contact's,
    # the second none, and both answered the same
    assert sorted(written) == ["Contact", "Deal"]
    assert "errors" not in first and first["data"] == second["data"]
