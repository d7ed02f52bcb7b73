"""The board's cards read as what they show (issue 15): each card's owner
and contact are read in the cards' own statement (resolvers/read_rows.py
`Join`, only the columns the selection shows) and answered from the
card's row by their `Preload` (schema/lean_execution.py), so a card costs
no resolver call, loader lookup or awaitable for them, and answers exactly what the
deal read by id answers, on both backends."""

import json
import uuid

from graphql import parse

from revgraph.models.crm import Contact as ContactModel
from revgraph.models.identity import User as UserModel
from revgraph.resolvers import loaders, read_rows
from revgraph.resolvers.ids import pk_of
from revgraph.schema.contacts import CONTACT_COLUMNS, Contact
from revgraph.schema.demand import counted_delivery, delivered_cost
from revgraph.schema.identity import USER_COLUMNS, User
from revgraph.schema.lean_execution import FromRow, Preload
from tests.graph.documents import DELETE_CONTACT, create_contact
from tests.graph.test_hot_lists import count_plan_runs
from tests.pipeline.support import create_deal, create_pipeline

CARD = "id title value owner { name } contact { name }"
BOARD = """
query($id: ID!, $first: Int!) {
  pipeline(id: $id) { stages { deals(first: $first) { edges { node { %s } } } } }
}
"""
WIDE_CARD = """
  id title value currency status number expectedCloseDate lostReason customFields version
  stageEnteredAt createdAt deletedAt pipeline { id name } stage { id name } development { id }
  stageHistory { to { name } }
  owner { __typename id name email role active locale }
  contact { id name email phone lifecycleStage score number source customFields createdAt updatedAt deletedAt }
  company { id name }
"""
# A card whose owner shows a field that is not one of User.of's columns
# (team), and whose contact shows one that is not Contact.of's (tags): read
# whole, through a fragment and an alias.
DEEP_CARD = """
  ...Card
  person: contact { tags name }
"""
DEEP_FRAGMENT = "fragment Card on Deal { id owner { name team { name } } }"
ONE_DEAL = "query($id: ID!) { deal(id: $id) { %s } }"


async def _board(gql, token, pipeline_id, card=CARD, first=50, fragment=""):
    document = fragment + BOARD % card
    data = await gql.ok(document, {"id": pipeline_id, "first": first}, token=token)
    return [edge["node"] for stage in data["pipeline"]["stages"] for edge in stage["deals"]["edges"]]


async def _cards(gql, workspace, count, pipeline=None):
    pipeline = pipeline or await create_pipeline(gql, workspace.token)
    agent = await workspace.user("AGENT")
    for index in range(count):
        contact = await create_contact(
            gql, workspace.token, name=f"Cliente {index}", email=f"c{index}-{uuid.uuid4().hex[:6]}@x.com"
        )
        await create_deal(
            gql,
            workspace.token,
            pipeline["id"],
            title=f"Negócio {index}",
            value="1500.5",
            ownerId=agent["id"] if index % 2 else None,
            contactId=contact["id"],
        )
    return pipeline


class _Counted:
    """Counts the calls of a function it stands for."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


async def test_a_card_calls_no_resolver_and_no_loader_for_its_owner_and_contact(gql, workspace, monkeypatch):
    # given a board of 2 cards and one of 6, with owners and contacts
    small = await _cards(gql, workspace, 2)
    large = await _cards(gql, workspace, 6)
    resolved = _Counted(Preload.resolve)
    loads = _Counted(loaders.BatchLoader.load)
    monkeypatch.setattr(Preload, "resolve", lambda self, source, info: resolved(self, source, info))
    monkeypatch.setattr(loaders.BatchLoader, "load", lambda self, key: loads(self, key))
    counts = []
    for pipeline in (small, large):
        resolved.calls = loads.calls = 0
        # when the board's cards are read
        cards = await _board(gql, workspace.token, pipeline["id"])
        assert all(card["contact"]["name"].startswith("Cliente") for card in cards)
        counts.append((resolved.calls, loads.calls))
    # then no owner or contact resolver ran for any card (on main: two a
    # card), and the loads do not grow with the cards (on main: one a contact)
    assert counts[0][0] == counts[1][0] == 0
    assert counts[0][1] == counts[1][1]


async def test_a_card_answers_what_the_deal_read_by_id_answers(gql, workspace):
    # given cards with every kind of owner and contact: none, one, a trashed contact
    pipeline = await _cards(gql, workspace, 4)
    await create_deal(gql, workspace.token, pipeline["id"], title="Sem nada")
    trashed = await create_contact(gql, workspace.token, name="Na lixeira")
    await create_deal(gql, workspace.token, pipeline["id"], title="Contato apagado", contactId=trashed["id"])
    await gql.ok(DELETE_CONTACT, {"id": trashed["id"]}, token=workspace.token)
    for card, fragment in ((CARD, ""), (WIDE_CARD, ""), (DEEP_CARD, DEEP_FRAGMENT)):
        # when the board shows a few, all, or non-column fields of them
        cards = await _board(gql, workspace.token, pipeline["id"], card, first=10, fragment=fragment)
        assert len(cards) == 6
        for shown in cards:
            # then each card is exactly the deal read by id, key order included
            alone = await gql.ok(fragment + ONE_DEAL % card, {"id": shown["id"]}, token=workspace.token)
            assert json.dumps(shown) == json.dumps(alone["deal"])
    titles = {card["title"]: card for card in await _board(gql, workspace.token, pipeline["id"])}
    assert titles["Sem nada"]["contact"] is None and titles["Negócio 1"]["owner"] is not None
    assert titles["Contato apagado"]["contact"] is None


async def test_the_cards_statement_reads_only_the_columns_shown(gql, workspace, count_sql):
    # given a board with cards
    pipeline = await _cards(gql, workspace, 3)
    # when it is read showing the owner's and the contact's name
    with count_sql() as counter:
        await _board(gql, workspace.token, pipeline["id"])
    # then the cards' statement joins the user and the contact table, and
    # selects, of the contact, only its id, name and trash mark
    (cards,) = [sql for sql in counter.statements if read_rows.JOIN in sql]
    assert cards.count("LEFT JOIN") == 2
    contact_columns = sorted(
        column.split(":")[-1].strip('"')
        for column in cards.split(",")
        if f"{read_rows.JOIN}contact:" in column
    )
    assert contact_columns == ["deleted_at", "id", "name"]
    # and, of the deals, none of the columns no card shows (their custom fields, dates)
    assert "custom_fields" not in cards and "created_at" not in cards
    # and no other statement reads the owners or the contacts
    others = [sql for sql in counter.statements if sql is not cards]
    assert not [sql for sql in others if 'FROM "app_user"' in sql or 'FROM "contact"' in sql]


async def test_the_columns_named_for_a_field_are_all_it_reads(gql, workspace):
    # given a contact and a user with every column filled
    contact = await create_contact(
        gql, workspace.token, name="Ana", email="ana@x.com", phone="11 98765-0001", customFields={"a": 1}
    )
    contact_id = pk_of(contact["id"], "Contact")
    (whole,) = await read_rows.read_rows(ContactModel.filter(id=contact_id))
    full = Contact.of(whole)
    for field, column in CONTACT_COLUMNS.items():
        # when a contact is made from a row holding only the column named for a field
        (row,) = await read_rows.read_rows(ContactModel.filter(id=contact_id))
        kept = {column, read_rows.RAW + column, "id"}
        for key in [key for key in vars(row) if key not in kept]:
            del vars(row)[key]
        python_name = "".join("_" + c.lower() if c.isupper() else c for c in field)
        # then the field is what the whole row gives
        assert getattr(Contact.of(row), python_name) == getattr(full, python_name), field
    # and a user made from a row of only USER_COLUMNS is the user made from the whole row
    (user_row,) = await read_rows.read_rows(UserModel.filter(id=pk_of(workspace.admin["id"], "User")))
    only = read_rows.row_class(UserModel)(
        {column: getattr(user_row, column) for column in USER_COLUMNS.values()}
    )
    assert vars(User.of(only)) | {"row": None} == vars(User.of(user_row)) | {"row": None}


async def test_a_shared_owner_is_completed_once_and_charged_on_every_card(gql, workspace, monkeypatch):
    # given a board of 6 cards shared by 2 owners
    pipeline = await create_pipeline(gql, workspace.token)
    owners = [await workspace.user("AGENT"), await workspace.user("AGENT")]
    for index in range(6):
        contact = await create_contact(gql, workspace.token, name=f"Cliente {index}")
        await create_deal(
            gql,
            workspace.token,
            pipeline["id"],
            title=f"Negócio {index}",
            ownerId=owners[index % 2]["id"],
            contactId=contact["id"],
        )
    runs = []
    count_plan_runs(monkeypatch, runs)
    # when the board is read showing each card's owner
    document = BOARD % "id owner { name email } contact { name }"
    body = await gql(document, {"id": pipeline["id"], "first": 50}, token=workspace.token)
    assert "errors" not in body
    cards = [edge["node"] for stage in body["data"]["pipeline"]["stages"] for edge in stage["deals"]["edges"]]
    # then every card shows its owner (on main too) ...
    assert len(cards) == 6 and len({card["owner"]["email"] for card in cards}) == 2
    # ... but each owner's selection was completed once, not once a card (on main: 6 runs)
    assert runs.count("User") == 2
    assert runs.count("Deal") == runs.count("Contact") == 6
    # and the cost charged still counts the owner's fields on every card
    token = counted_delivery.set(None)
    try:
        walked = delivered_cost(parse(document), None, body["data"])
    finally:
        counted_delivery.reset(token)
    assert body["extensions"]["cost"]["actual"] == walked


async def test_a_cards_fields_are_computed_from_its_row_by_the_plan(gql, workspace, monkeypatch):
    # given a board of cards made from their rows (fields_from_row)
    pipeline = await _cards(gql, workspace, 4)
    expected = await _board(gql, workspace.token, pipeline["id"])
    gets = _Counted(FromRow.__get__)
    monkeypatch.setattr(FromRow, "__get__", lambda self, obj, owner=None: gets(self, obj, owner))
    # when the board is read again
    cards = await _board(gql, workspace.token, pipeline["id"])
    # then it answers the same, and no card field went through the object's
    # FromRow (on main: id, title and value of each card and its contact's name)
    assert cards == expected and len(cards) == 4
    assert gets.calls == 0


async def test_a_cards_value_is_converted_once_from_its_raw_column(gql, workspace, monkeypatch):
    # given a board of cards with a value ("1500.5") and one without
    pipeline = await _cards(gql, workspace, 3)
    await create_deal(gql, workspace.token, pipeline["id"], title="Sem valor")
    converted = []
    lazy = read_rows.Row.__getattr__

    def counting(self, name):
        converted.append(name)
        return lazy(self, name)

    monkeypatch.setattr(read_rows.Row, "__getattr__", counting)
    # when the board is read showing each card's value
    cards = await _board(gql, workspace.token, pipeline["id"])
    # then every value is shown to 2 places, null where there is none ...
    values = {card["title"]: card["value"] for card in cards}
    assert values == {
        "Negócio 0": "1500.50",
        "Negócio 1": "1500.50",
        "Negócio 2": "1500.50",
        "Sem valor": None,
    }
    # ... converted by the card's field straight from the raw column, not by
    # the row's own conversion first (on main: once a card)
    assert "value" not in converted
