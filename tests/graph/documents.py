"""GraphQL documents and small builders shared by the 360° graph tests."""

from __future__ import annotations

from typing import Any

CONTACT_FIELDS = """
  id name email phone lifecycleStage score source tags customFields createdAt updatedAt deletedAt
  owner { id } company { id name }
"""

CREATE_CONTACT = f"""
mutation CreateContact($input: ContactInput!) {{
  createContact(input: $input) {{ contact {{ {CONTACT_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

UPDATE_CONTACT = f"""
mutation UpdateContact($id: ID!, $input: ContactUpdateInput!) {{
  updateContact(id: $id, input: $input) {{ contact {{ {CONTACT_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

DELETE_CONTACT = """
mutation DeleteContact($id: ID!) { deleteContact(id: $id) { deletedId userErrors { code message field } } }
"""

RESTORE_CONTACT = f"""
mutation RestoreContact($id: ID!) {{
  restoreContact(id: $id) {{ contact {{ {CONTACT_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

MERGE_CONTACTS = f"""
mutation Merge($primaryId: ID!, $duplicateId: ID!) {{
  mergeContacts(primaryId: $primaryId, duplicateId: $duplicateId) {{
    contact {{ {CONTACT_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""

CONTACT = f"""
query Contact($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}
"""

CONTACTS = """
query Contacts($filter: ContactFilter, $orderBy: [ContactOrder!], $search: String,
               $first: Int, $after: String, $last: Int, $before: String) {
  contacts(filter: $filter, orderBy: $orderBy, search: $search,
           first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name email phone score tags } }
  }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { id __typename } }
"""

CREATE_COMPANY = """
mutation CreateCompany($input: CompanyInput!) {
  createCompany(input: $input) {
    company { id name domain owner { id } createdAt deletedAt }
    userErrors { code message field }
  }
}
"""

CREATE_TASK = """
mutation CreateTask($input: TaskInput!) {
  createTask(input: $input) {
    task { id title dueAt done assignee { id } contact { id } }
    userErrors { code message field }
  }
}
"""

COMPLETE_TASK = """
mutation CompleteTask($id: ID!) {
  completeTask(id: $id) { task { id done } userErrors { code message field } }
}
"""

ADD_NOTE = """
mutation AddNote($input: NoteInput!) {
  addNote(input: $input) {
    event { id kind summary data at actor { id name } }
    userErrors { code message field }
  }
}
"""

TIMELINE = """
query Timeline($id: ID!, $first: Int, $after: String) {
  contact(id: $id) {
    timeline(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id kind summary data actor { id } } }
    }
  }
}
"""


async def create_contact(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    """Create a contact that must succeed; returns it."""
    data = await gql.ok(CREATE_CONTACT, {"input": {"name": "Maria Souza", **fields}}, token=token)
    payload = data["createContact"]
    assert payload["userErrors"] == [], payload
    return payload["contact"]


async def create_company(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    data = await gql.ok(CREATE_COMPANY, {"input": {"name": "Acme Imóveis", **fields}}, token=token)
    payload = data["createCompany"]
    assert payload["userErrors"] == [], payload
    return payload["company"]


async def contact_ids(gql: Any, token: str, **variables: Any) -> list[str]:
    data = await gql.ok(CONTACTS, {"first": 100, **variables}, token=token)
    return [edge["node"]["id"] for edge in data["contacts"]["edges"]]


async def timeline_kinds(gql: Any, token: str, contact_id: str) -> list[str]:
    data = await gql.ok(TIMELINE, {"id": contact_id}, token=token)
    return [edge["node"]["kind"] for edge in data["contact"]["timeline"]["edges"]]
