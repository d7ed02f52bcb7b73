"""A row's global id and cursor as the hot read paths make them
(resolvers/ids.py `id_encoder`, `row_id`; resolvers/pagination.py
`cursor_encoder`) are byte for byte the general `encode_id`'s and
`encode_cursor`'s: ids for every prefix length (base64 pads "Type:"
differently by its length modulo 3) and every edge of a primary key,
cursors for every kind of value a keyset carries."""

import base64

from revgraph.resolvers.ids import MAX_PK, decode_id, encode_id, id_encoder, row_id
from revgraph.schema.contacts import Contact
from revgraph.schema.deals import Deal

TYPE_NAMES = ["A", "Ab", "Abc", "Deal", "Stage", "Contact", "Pipeline", "WebhookDelivery", "Ação"]
PKS = [
    0,
    1,
    9,
    10,
    62,
    63,
    99,
    100,
    999,
    1000,
    12345,
    65535,
    65536,
    MAX_PK - 1,
    MAX_PK,
    MAX_PK + 1,
    10**12,
    -1,
]


class _Row:
    def __init__(self, pk):
        self.id = pk


def _general(type_name, pk):
    # The definition of an id, without encode_id's cache.
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def test_encoder_and_row_id_are_byte_identical_to_encode_id():
    # given every prefix length and edge pk; when encoded twice (made, then kept)
    for type_name in TYPE_NAMES:
        encode, of = id_encoder(type_name), row_id(type_name)
        for _ in range(2):
            for pk in PKS:
                expected = _general(type_name, pk)
                # then each path gives the same text as the general encoder
                assert encode_id(type_name, pk) == expected
                assert encode(pk) == expected
                assert of(_Row(pk)) == expected
                if 0 <= pk <= MAX_PK:
                    assert decode_id(of(_Row(pk))) == (type_name, pk)


def test_encoder_does_not_confuse_equal_keys_of_other_types():
    # given the id of pk 1 kept; when a bool or a str of the same value is encoded
    encode, of = id_encoder("Deal"), row_id("Deal")
    assert encode(1) == _general("Deal", 1)
    # then each is what the general encode_id answers for it (its cache,
    # not the row encoder's kept ids, decides)
    for pk in ("1", "12", True, False):
        assert encode(pk) == encode_id("Deal", pk)
        assert of(_Row(pk)) == encode_id("Deal", pk)


def test_row_made_types_use_the_row_encoder():
    # a deal's and a contact's id made from a row equal the general encoder's
    for maker, type_name in ((Deal, "Deal"), (Contact, "Contact")):
        assert maker.id.make(_Row(4321)) == _general(type_name, 4321)


class _Keyed:
    def __init__(self, **columns):
        self.__dict__.update(columns)


def test_cursor_encoder_is_byte_identical_to_encode_cursor():
    # given keysets of one, two and three keys and values of every kind a
    # cursor carries, the usual ones and the edges (other time zones, naive,
    # Decimal, non-ASCII text, None, a bool)
    from datetime import UTC, datetime, timedelta, timezone
    from decimal import Decimal

    from revgraph.resolvers.pagination import Cursors, SortKey, cursor_encoder, encode_cursor

    moments = [
        datetime(2026, 12, 7, 11, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 7, 11, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 12, 7, 11, 0, 0),
        datetime(2026, 12, 7, 11, 0, 0, tzinfo=timezone(timedelta(hours=-3))),
        datetime(2026, 12, 7, 11, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30, seconds=15))),
    ]
    values = [
        0,
        1,
        MAX_PK,
        10**15,
        -7,
        "",
        "ana",
        "Conceição",
        'a"b\\c',
        "\u2028",
        None,
        True,
        Decimal("10.50"),
        *moments,
    ]
    keysets = [
        (SortKey("id", kind="int"),),
        (SortKey("value", descending=True), SortKey("id", kind="int")),
        (SortKey("value"), SortKey("other"), SortKey("id", descending=True, kind="int")),
    ]
    for keys in keysets:
        encode = cursor_encoder(keys)
        for value in values:
            for other in (values[0], values[7], moments[0]):
                row = _Keyed(id=value if len(keys) == 1 else 42, value=value, other=other)
                # when encoded by the page's encoder; then it is the general one's
                assert encode(row) == encode_cursor(row, keys)
                assert Cursors([row], list(keys))[0] == encode_cursor(row, keys)
