"""Partners read the API through introspection: every public type, field,
input field and enum of the schema carries a description."""

from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from revgraph.schema import build_schema

# Built-in scalars and enums describe themselves; ours must too.
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def test_every_public_type_and_field_has_a_description():
    schema = build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            missing += [
                f"{name}.{field}" for field, spec in graphql_type.fields.items() if not spec.description
            ]
    assert missing == [], f"{len(missing)} without a description: {missing[:40]}"
