"""Documents and builders shared by the custom-field (campos adicionais) tests."""

from __future__ import annotations

from typing import Any

from revgraph.models.events import Event
from revgraph.models.identity import User
from revgraph.resolvers.ids import decode_id

DEFINITION_FIELDS = "id entity key label type options { key label } required position archivedAt"

CREATE_DEFINITION = f"""
mutation CreateDefinition($input: CustomFieldDefinitionInput!) {{
  createCustomFieldDefinition(input: $input) {{
    definition {{ {DEFINITION_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""

UPDATE_DEFINITION = f"""
mutation UpdateDefinition($id: ID!, $input: CustomFieldDefinitionUpdateInput!) {{
  updateCustomFieldDefinition(id: $id, input: $input) {{
    definition {{ {DEFINITION_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""

ARCHIVE_DEFINITION = f"""
mutation ArchiveDefinition($id: ID!) {{
  archiveCustomFieldDefinition(id: $id) {{
    definition {{ {DEFINITION_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""

RESTORE_DEFINITION = f"""
mutation RestoreDefinition($id: ID!) {{
  restoreCustomFieldDefinition(id: $id) {{
    definition {{ {DEFINITION_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""

DEFINITIONS = f"""
query Definitions($entity: CustomFieldEntity, $includeArchived: Boolean) {{
  customFieldDefinitions(entity: $entity, includeArchived: $includeArchived) {{ {DEFINITION_FIELDS} }}
}}
"""

DEFINITION_NODE = f"""
query DefinitionNode($id: ID!) {{ node(id: $id) {{ ... on CustomFieldDefinition {{ {DEFINITION_FIELDS} }} }} }}
"""

CONTACT_CUSTOM_FIELDS = "query ContactFields($id: ID!) { contact(id: $id) { id customFields } }"

CONTACT_NAMES = """
query ContactNames($filter: ContactFilter) {
  contacts(filter: $filter, first: 100) { totalCount edges { node { id name } } }
}
"""

# A pre-sales team's fields for leads, one of each type.
TIPOLOGIAS = [
    {"key": "studio", "label": "Studio"},
    {"key": "dois_quartos", "label": "2 quartos"},
    {"key": "tres_quartos", "label": "3 quartos"},
]
INTERESSES = [
    {"key": "piscina", "label": "Piscina"},
    {"key": "academia", "label": "Academia"},
    {"key": "varanda", "label": "Varanda gourmet"},
]
CONTACT_FIELDS = [
    {"key": "bairro", "label": "Bairro de interesse", "type": "TEXT"},
    {"key": "dependentes", "label": "Dependentes", "type": "NUMBER"},
    {"key": "renda_mensal", "label": "Renda mensal", "type": "DECIMAL"},
    {"key": "nascimento", "label": "Data de nascimento", "type": "DATE"},
    {"key": "financiamento", "label": "Precisa de financiamento", "type": "BOOLEAN"},
    {"key": "tipologia", "label": "Tipologia", "type": "SELECT", "options": TIPOLOGIAS},
    {"key": "interesses", "label": "Itens de lazer", "type": "MULTI_SELECT", "options": INTERESSES},
]


async def define(gql: Any, token: str, **input: Any) -> dict[str, Any]:
    """Define a field that must be accepted; returns it."""
    data = await gql.ok(CREATE_DEFINITION, {"input": {"entity": "CONTACT", **input}}, token=token)
    payload = data["createCustomFieldDefinition"]
    assert payload["userErrors"] == [], payload
    return payload["definition"]


async def define_contact_fields(gql: Any, token: str) -> dict[str, dict[str, Any]]:
    """One contact field of each type, by key."""
    return {spec["key"]: await define(gql, token, **spec) for spec in CONTACT_FIELDS}


async def definitions(gql: Any, token: str, **variables: Any) -> list[dict[str, Any]]:
    return (await gql.ok(DEFINITIONS, variables, token=token))["customFieldDefinitions"]


async def contact_names(gql: Any, token: str, filter: dict[str, Any]) -> list[str]:
    data = await gql.ok(CONTACT_NAMES, {"filter": filter}, token=token)
    return sorted(edge["node"]["name"] for edge in data["contacts"]["edges"])


async def definition_events(admin_id: str) -> list[dict[str, Any]]:
    """The log's custom_field.* events of the admin's workspace, oldest first."""
    decoded = decode_id(admin_id)
    assert decoded is not None
    workspace_id = (await User.get(id=decoded[1])).workspace_id
    return list(
        await Event.filter(workspace_id=workspace_id, kind__startswith="custom_field.")
        .order_by("id")
        .values("kind", "actor_user_id", "summary", "data")
    )
