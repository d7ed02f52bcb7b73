"""Deny by default (RELIABILITY.md "Authorisation and tenancy"): every root
field of the built schema names who may call it. A field added later
without a permission class fails here."""

from revgraph.schema import build_schema
from revgraph.schema.permissions import MARKERS, AdminOnly, Authenticated, Public


def root_fields(schema):
    for root in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(root)
        if definition is None:
            continue
        for field in definition.fields:
            yield f"{root}.{schema.config.name_converter.get_graphql_name(field)}", field


def test_every_root_field_carries_an_explicit_permission():
    schema = build_schema()
    fields = list(root_fields(schema))
    # the walk really sees the API (guards against an empty, vacuous pass)
    names = {name for name, _ in fields}
    assert {"Query.me", "Query.users", "Mutation.signUp", "Mutation.createTeam"} <= names
    unguarded = [
        name for name, field in fields if not any(issubclass(p, MARKERS) for p in field.permission_classes)
    ]
    assert unguarded == [], f"root fields without Public/Authenticated/AdminOnly: {unguarded}"


def test_the_markers_say_what_the_contract_says():
    schema = build_schema()
    classes = {name: set(field.permission_classes) for name, field in root_fields(schema)}
    assert classes["Mutation.signUp"] == {Public}
    assert classes["Mutation.logIn"] == {Public}
    assert classes["Query.workspace"] == {Authenticated}
    assert classes["Mutation.createUser"] == {AdminOnly}
    assert classes["Mutation.createApiKey"] == {AdminOnly}
