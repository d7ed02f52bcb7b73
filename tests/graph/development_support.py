"""GraphQL documents and builders for developments (empreendimentos) and
contacts' interests in them, shared by the graph and distribution tests."""

from __future__ import annotations

from typing import Any

DEVELOPMENT_FIELDS = """
  id name status address neighborhood zone city state postalCode priceMin priceMax typologies
  createdAt updatedAt archivedAt developer { id name }
"""

CREATE_DEVELOPMENT = f"""
mutation CreateDevelopment($input: DevelopmentInput!) {{
  createDevelopment(input: $input) {{ development {{ {DEVELOPMENT_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

UPDATE_DEVELOPMENT = f"""
mutation UpdateDevelopment($id: ID!, $input: DevelopmentUpdateInput!) {{
  updateDevelopment(id: $id, input: $input) {{
    development {{ {DEVELOPMENT_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""

ARCHIVE_DEVELOPMENT = """
mutation ArchiveDevelopment($id: ID!) {
  archiveDevelopment(id: $id) { development { id archivedAt } userErrors { code message field } }
}
"""

UNARCHIVE_DEVELOPMENT = """
mutation UnarchiveDevelopment($id: ID!) {
  unarchiveDevelopment(id: $id) { development { id archivedAt } userErrors { code message field } }
}
"""

DEVELOPMENTS = """
query Developments($filter: DevelopmentFilter, $search: String, $first: Int, $after: String) {
  developments(filter: $filter, search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id name } }
  }
}
"""

DEVELOPMENT = f"""
query Development($id: ID!) {{
  development(id: $id) {{
    {DEVELOPMENT_FIELDS}
    deals(first: 50) {{ totalCount edges {{ node {{ id title }} }} }}
    interestedContacts(first: 50) {{ totalCount edges {{ node {{ id name }} }} }}
    timeline(first: 50) {{ edges {{ node {{ id kind summary data actor {{ id }} }} }} }}
  }}
}}
"""

DEVELOPMENT_NODE = """
query Node($id: ID!) { node(id: $id) { id ... on Development { name developer { id name } } } }
"""

INTEREST_FIELDS = "contact { id interests { id name } } userErrors { code message field }"

SET_INTERESTS = f"""
mutation SetInterests($contactId: ID!, $developmentIds: [ID!]!) {{
  setContactInterests(contactId: $contactId, developmentIds: $developmentIds) {{ {INTEREST_FIELDS} }}
}}
"""

ADD_INTEREST = f"""
mutation AddInterest($contactId: ID!, $developmentId: ID!) {{
  addContactInterest(contactId: $contactId, developmentId: $developmentId) {{ {INTEREST_FIELDS} }}
}}
"""

REMOVE_INTEREST = f"""
mutation RemoveInterest($contactId: ID!, $developmentId: ID!) {{
  removeContactInterest(contactId: $contactId, developmentId: $developmentId) {{ {INTEREST_FIELDS} }}
}}
"""

CONTACT_INTERESTS = """
query ContactInterests($id: ID!) {
  contact(id: $id) {
    id interests { id name }
    timeline(first: 50) { edges { node { kind summary data } } }
    deals(first: 10) { edges { node { id development { id } } } }
  }
}
"""

RESERVA_IPE = {
    "name": "Reserva Ipê",
    "status": "LAUNCH",
    "address": "Rua Afonso Brás, 900",
    "neighborhood": "Moema",
    "zone": "Zona Sul",
    "city": "São Paulo",
    "state": "sp",
    "postalCode": "04511001",
    "priceMin": "650000",
    "priceMax": "1200000.5",
    "typologies": ["2 quartos", "3 quartos", "cobertura", "2 quartos"],
}


async def create_development(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    """Create a development that must succeed; returns it."""
    data = await gql.ok(
        CREATE_DEVELOPMENT, {"input": {"name": "Reserva Ipê", "status": "LAUNCH", **fields}}, token=token
    )
    payload = data["createDevelopment"]
    assert payload["userErrors"] == [], payload
    return payload["development"]


async def development_names(gql: Any, token: str, **variables: Any) -> list[str]:
    data = await gql.ok(DEVELOPMENTS, {"first": 100, **variables}, token=token)
    return [edge["node"]["name"] for edge in data["developments"]["edges"]]


async def interests(gql: Any, token: str, contact_id: str) -> list[str]:
    """Names of the developments the contact is interested in, in order."""
    data = await gql.ok(CONTACT_INTERESTS, {"id": contact_id}, token=token)
    return [d["name"] for d in data["contact"]["interests"]]
