"""Display rows convert a column when it is first read (resolvers/read_rows.py),
objects made from them compute a field when it is first read
(schema/lean_execution.py `fields_from_row`), a page encodes a cursor when
it is read, and a loader's batch of ids is one statement parameter: each must
give exactly what the eager reading gave, on both backends."""

from decimal import Decimal

import orjson

from revgraph.models.crm import Contact as ContactModel
from revgraph.models.crm import ContactTag
from revgraph.models.pipeline import Deal as DealModel
from revgraph.resolvers import deal_queries, pagination, read_rows
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.pagination import SortKey, encode_cursor, paginate
from revgraph.schema.contacts import Contact
from revgraph.schema.deals import Deal
from tests.graph.documents import create_contact
from tests.pipeline.support import create_deal, create_pipeline

CUSTOM = {"orcamento": "até 500 mil", "quartos": 3, "area": 72.5, "nested": {"a": [1, 2.5, None, True]}}
BOARD = """
query($id: ID!) {
  pipeline(id: $id) { stages { id deals(first: 50) { edges { node { id title value contact { name } } } } } }
}
"""


async def _deal_and_contact(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    contact = await create_contact(
        gql, workspace.token, name="Ana Lima", email="ana@lima.com", tags=["vip"], customFields=CUSTOM
    )
    deal = await create_deal(
        gql,
        workspace.token,
        pipeline["id"],
        value="1250000.5",
        expectedCloseDate="2027-03-01T12:30:00-03:00",
        contactId=contact["id"],
        customFields=CUSTOM,
    )
    return pk_of(deal["id"], "Deal"), pk_of(contact["id"], "Contact")


async def test_a_row_reads_every_column_as_the_model_does(gql, workspace):
    # given a deal and a contact with datetimes, JSON, a decimal and nulls
    deal_id, contact_id = await _deal_and_contact(gql, workspace)
    for model, pk in ((DealModel, deal_id), (ContactModel, contact_id)):
        instance = await model.get(id=pk)
        names = [name for name, _ in read_rows._columns(model)]
        for order in (names, list(reversed(names))):
            # when the record is read as a row and its columns are read, in either order
            (row,) = await read_rows.read_rows(model.filter(id=pk))
            values = {name: getattr(row, name) for name in order}
            # then every column is what the model gives, type included
            for name in names:
                assert values[name] == getattr(instance, name), name
                assert type(values[name]) is type(getattr(instance, name)), name
            # and a converted column is kept: read again it is the same object,
            # and the row holds no raw value any more
            assert all(getattr(row, name) is values[name] for name in names)
            assert not [key for key in vars(row) if key.startswith(read_rows.RAW)]
    assert values["custom_fields"] == CUSTOM


async def test_a_row_converts_only_the_columns_read(gql, workspace):
    # given a deal row just read
    deal_id, _ = await _deal_and_contact(gql, workspace)
    (row,) = await read_rows.read_rows(DealModel.filter(id=deal_id))
    # when only its title and value are read
    assert row.title == "Apto 2 quartos" and row.value == Decimal("1250000.50")
    # then its JSON and datetime columns are still the driver's, waiting
    assert read_rows.RAW + "custom_fields" in vars(row) and "custom_fields" not in vars(row)
    assert read_rows.RAW + "created_at" in vars(row)
    # and a column the row does not have is still an AttributeError
    assert getattr(row, "no_such_column", "absent") == "absent"


async def test_an_object_made_from_a_row_answers_as_one_made_from_the_model(gql, workspace):
    # given the same deal and contact as rows and as model instances
    deal_id, contact_id = await _deal_and_contact(gql, workspace)
    cases = ((Deal, DealModel, deal_id), (Contact, ContactModel, contact_id))
    for kind, model, pk in cases:
        (row,) = await read_rows.read_rows(model.filter(id=pk))
        lazy, eager = kind.of(row), kind.of(await model.get(id=pk))
        # then every field answers the same
        fields = [f.python_name for f in kind.__strawberry_definition__.fields if f.base_resolver is None]
        for name in fields:
            if name != "row":
                assert getattr(lazy, name) == getattr(eager, name), name


async def test_an_object_made_from_a_model_keeps_the_values_it_was_made_with(gql, workspace):
    # given a deal object made from its model instance (as a use case does)
    deal_id, _ = await _deal_and_contact(gql, workspace)
    instance = await DealModel.get(id=deal_id)
    made = Deal.of(instance)
    # when the instance changes afterwards
    instance.title = "Mudou"
    instance.value = Decimal("1.00")
    # then the object still shows what it was made with, as the constructor did
    assert made.title == "Apto 2 quartos" and made.value == Decimal("1250000.50")


class _CountingOrjson:
    """orjson as resolvers/read_rows.py uses it, counting what it decodes."""

    JSONDecodeError = orjson.JSONDecodeError
    dumps = staticmethod(orjson.dumps)

    def __init__(self) -> None:
        self.decoded: list[object] = []

    def loads(self, value: object) -> object:
        self.decoded.append(value)
        return orjson.loads(value)


async def test_a_board_converts_and_encodes_only_what_it_shows(gql, workspace, monkeypatch):
    # given a board of 4 cards with contacts, both carrying custom fields
    pipeline = await create_pipeline(gql, workspace.token)
    for index in range(4):
        contact = await create_contact(gql, workspace.token, name=f"Cliente {index}", customFields=CUSTOM)
        await create_deal(
            gql,
            workspace.token,
            pipeline["id"],
            title=f"N {index}",
            contactId=contact["id"],
            customFields=CUSTOM,
        )
    counting, encoded = _CountingOrjson(), []
    cursor_of = pagination.encode_cursor

    def counted_cursor(*args):
        encoded.append(args)
        return cursor_of(*args)

    encoder_of = pagination.cursor_encoder

    def counted_encoder(keys):  # a page's cursors are made by its keyset's encoder
        encode = encoder_of(keys)

        def counted(row):
            encoded.append(row)
            return encode(row)

        return counted

    monkeypatch.setattr(read_rows, "orjson", counting)
    monkeypatch.setattr(pagination, "cursor_encoder", counted_encoder)
    monkeypatch.setattr(pagination, "encode_cursor", counted_cursor)
    monkeypatch.setattr(deal_queries, "encode_cursor", counted_cursor, raising=False)
    # when a board that shows no custom field and no cursor is read
    data = await gql.ok(BOARD, {"id": pipeline["id"]}, token=workspace.token)
    # then it answers every card, and no deal's or contact's JSON column was decoded
    cards = [edge["node"] for stage in data["pipeline"]["stages"] for edge in stage["deals"]["edges"]]
    assert sorted(card["contact"]["name"] for card in cards) == [f"Cliente {i}" for i in range(4)]
    assert counting.decoded == []
    # and cursors were encoded only for the column's page info (its first and last card)
    assert len(encoded) <= 2


async def test_lazy_cursors_are_the_cursors_of_the_rows(gql, workspace):
    # given contacts
    ids = [
        pk_of((await create_contact(gql, workspace.token, name=f"P {i}"))["id"], "Contact") for i in range(3)
    ]
    keys = [
        SortKey("created_at", descending=True, kind="datetime"),
        SortKey("id", descending=True, kind="int"),
    ]
    # when a page is read as rows
    page = await paginate(ContactModel.filter(id__in=ids), keys, as_rows=True)
    # then its cursors, read in any order, are those of its rows, and the next page continues it
    expected = [encode_cursor(row, keys) for row in page.items]
    assert page.cursors[2] == expected[2] and page.cursors[-3] == expected[0]
    assert list(page.cursors) == expected and page.cursors == expected and page.cursors[1:] == expected[1:]
    rest = await paginate(ContactModel.filter(id__in=ids), keys, first=1, after=page.cursors[0])
    assert [row.id for row in rest.items] == [page.items[1].id]


async def test_a_batch_of_ids_is_one_parameter_whatever_its_size(gql, workspace, count_sql):
    # given contacts with tags
    ids = []
    for index in range(5):
        contact = await create_contact(gql, workspace.token, name=f"P {index}", tags=[f"t{index}", "x"])
        ids.append(pk_of(contact["id"], "Contact"))
    statements = []
    for wanted in (ids[:1], ids, [*ids, 10**9]):
        # when rows are read among 1, 5 and 6 ids (one unknown)
        with count_sql() as counter:
            rows = await read_rows.read_rows(ContactModel.filter(), among=("id", wanted))
            tags = await read_rows.read_rows(ContactTag.filter().order_by("id"), among=("contact_id", wanted))
        statements.append(counter.statements)
        # then exactly the known ones are read
        assert sorted(row.id for row in rows) == sorted(set(wanted) & set(ids))
        assert sorted({tag.contact_id for tag in tags}) == sorted(set(wanted) & set(ids))
    # and the statements are the same text whatever the number of ids
    assert statements[0] == statements[1] == statements[2]
    assert await read_rows.read_rows(ContactModel.filter(), among=("id", [])) == []
