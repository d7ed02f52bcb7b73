"""The filter language evaluated in Python (`matches`) and translated to SQL
(`filter_q`): the same filter means the same thing in both."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tortoise.expressions import Q

from revgraph.resolvers import filtering as f
from revgraph.resolvers.ids import encode_id

FIELDS: f.FieldMap = {
    "title": f.FieldSpec("title", f.STRING),
    "owner_id": f.FieldSpec("owner_id", f.ID, "User"),
    "status": f.FieldSpec("status", f.ONE_OF),
    "value": f.FieldSpec("value", f.DECIMAL),
    "score": f.FieldSpec("score", f.INT),
    "created_at": f.FieldSpec("created_at", f.DATETIME),
    "deleted": f.FieldSpec("deleted_at", f.TRASHED),
}

RECORD = {
    "title": "Apartamento Jardins",
    "ownerId": encode_id("User", 7),
    "status": "OPEN",
    "value": Decimal("1250000.00"),
    "score": 40,
    "createdAt": datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
    "deleted": False,
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({}, True),
        ({"title": {"contains": "jardins"}}, True),
        ({"title": {"contains": "moema"}}, False),
        ({"title": {"startsWith": "Apart"}}, True),
        ({"title": {"startsWith": "apart"}}, False),
        ({"title": {"eq": "Apartamento Jardins"}}, True),
        ({"title": {"neq": "Apartamento Jardins"}}, False),
        ({"title": {"in": ["x", "Apartamento Jardins"]}}, True),
        ({"title": {"isNull": True}}, False),
        ({"ownerId": {"eq": encode_id("User", 7)}}, True),
        ({"owner_id": {"eq": encode_id("User", 8)}}, False),
        # an id of another type names nothing, even with the same number
        ({"ownerId": {"eq": encode_id("Contact", 7)}}, False),
        ({"ownerId": {"in": [encode_id("User", 1), encode_id("User", 7)]}}, True),
        ({"ownerId": {"isNull": False}}, True),
        ({"status": ["OPEN", "WON"]}, True),
        ({"status": ["LOST"]}, False),
        ({"value": {"gte": "1000000"}}, True),
        ({"value": {"gt": "1250000.00"}}, False),
        ({"value": {"eq": "1250000"}}, True),
        ({"score": {"lt": 41, "gt": 39}}, True),
        ({"score": {"lte": 39}}, False),
        ({"createdAt": {"gt": "2026-04-30T00:00:00+00:00"}}, True),
        ({"createdAt": {"lt": "2026-05-01T12:00:00Z"}}, False),
        ({"createdAt": {"gte": "2026-05-01T12:00:00"}}, True),  # naive reads as UTC
        ({"deleted": False}, True),
        ({"deleted": True}, False),
        ({"and": [{"score": {"gt": 10}}, {"status": ["OPEN"]}]}, True),
        ({"and": [{"score": {"gt": 10}}, {"status": ["WON"]}]}, False),
        ({"or": [{"score": {"gt": 100}}, {"status": ["OPEN"]}]}, True),
        ({"or": [{"score": {"gt": 100}}, {"status": ["WON"]}]}, False),
        ({"or": []}, False),
        ({"not": {"status": ["OPEN"]}}, False),
        ({"not": {"not": {"status": ["OPEN"]}}}, True),
        ({"and_": [{"title": {"contains": "apto"}}], "or_": [{"score": {"eq": 40}}]}, False),
        # an operator sent as null constrains nothing
        ({"title": {"eq": None}, "score": {"gt": None}}, True),
    ],
)
def test_matches_evaluates_the_filter_language(condition, expected):
    assert f.matches(condition, RECORD, FIELDS) is expected


def test_matches_treats_missing_values_as_null():
    # given a record without a value or owner
    record = {"title": "Casa", "status": "OPEN"}
    # then comparisons fail, isNull and neq hold (as SQL's translation does)
    assert f.matches({"value": {"gt": "0"}}, record, FIELDS) is False
    assert f.matches({"value": {"lt": "0"}}, record, FIELDS) is False
    assert f.matches({"ownerId": {"isNull": True}}, record, FIELDS) is True
    assert f.matches({"ownerId": {"eq": encode_id("User", 1)}}, record, FIELDS) is False
    assert f.matches({"title": {"neq": "Apto"}}, record, FIELDS) is True


def test_matches_accepts_primary_keys_as_record_ids():
    record = {**RECORD, "owner_id": 7}
    del record["ownerId"]
    assert f.matches({"ownerId": {"eq": encode_id("User", 7)}}, record, FIELDS) is True
    assert f.matches({"ownerId": {"in": [encode_id("User", 8)]}}, record, FIELDS) is False


@pytest.mark.parametrize(
    "condition",
    [{"colour": {"eq": "red"}}, {"title": {"gt": "a"}}, {"createdAt": {"eq": "2026-01-01T00:00:00Z"}}],
)
def test_unknown_fields_and_operators_are_refused(condition):
    with pytest.raises(f.UnknownFilterField):
        f.matches(condition, RECORD, FIELDS)
    with pytest.raises(f.UnknownFilterField):
        f.filter_q(condition, FIELDS)


def test_filter_q_of_nothing_is_an_empty_condition():
    assert f.filter_q(None, FIELDS).children == Q().children
    assert f.filter_q({}, FIELDS).children == Q().children


def test_snake_reads_graphql_and_python_names():
    assert f.snake("startsWith") == "starts_with"
    assert f.snake("in_") == "in"
    assert f.snake("isNull") == "is_null"
    assert f.snake("ownerId") == "owner_id"
    assert f.snake("and_") == "and"
