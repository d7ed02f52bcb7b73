"""Documents and builders shared by the inbox automation tests: rules on
conversation triggers, their runs with the conversation they were about,
and the inbox setup they need (canned responses, SLA policies)."""

from __future__ import annotations

import os
from typing import Any

from tests.automations.support import RULE_FIELDS

# A failing action is retried like any other (exponential backoff), only on
# a faster scale than production's; set at import, before the session's
# server and worker read the environment (as tests/automations/conftest.py).
os.environ.setdefault("REVGRAPH_AUTOMATION_MIN_BACKOFF_MS", "100")
os.environ.setdefault("REVGRAPH_AUTOMATION_MAX_BACKOFF_MS", "1000")

CONVERSATION_RULE_FIELDS = f"""
  {RULE_FIELDS}
  conversationConditions
  actions {{
    type tag shortCode priority
    assignConversation {{ user {{ id }} queue {{ id }} reason }}
    transferConversation {{ user {{ id }} queue {{ id }} reason }}
  }}
"""

CREATE_CONVERSATION_RULE = f"""
mutation CreateRule($input: AutomationRuleInput!) {{
  createAutomationRule(input: $input) {{
    rule {{ {CONVERSATION_RULE_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}
"""

RULE_COUNT = "query RuleCount { automationRules { id } }"

RULE_RUNS = """
query RuleRuns($ruleId: ID) {
  automationRuns(ruleId: $ruleId, first: 100) {
    edges { node { id status error attempts depth stepsDone eventKind conversation { id } contact { id } } }
  }
}
"""

CREATE_CANNED = """
mutation CreateCanned($input: CannedResponseInput!) {
  createCannedResponse(input: $input) { cannedResponse { id shortCode } userErrors { code message field } }
}
"""

CREATE_POLICY = """
mutation CreatePolicy($input: SlaPolicyInput!) {
  createSlaPolicy(input: $input) { slaPolicy { id } userErrors { code message field } }
}
"""

RESOLVE = """
mutation Resolve($id: ID!) {
  resolveConversation(id: $id) { conversation { id status } userErrors { code message field } }
}
"""

ASSIGN = """
mutation Assign($id: ID!, $userId: ID) {
  assignConversation(id: $id, userId: $userId) { conversation { id assignee { id } } userErrors { code field } }
}
"""

SNOOZE = """
mutation Snooze($id: ID!, $until: DateTime!) {
  snoozeConversation(id: $id, until: $until) { conversation { status } userErrors { code field } }
}
"""

THREAD = """
query Thread($id: ID!) {
  conversation(id: $id) {
    id status priority tags waitingSince assignee { id }
    messages(first: 100) { edges { node { kind direction body status author { id } } } }
  }
}
"""


async def conversation_rule(gql: Any, token: str, **input: Any) -> dict[str, Any]:
    data = await gql.ok(CREATE_CONVERSATION_RULE, {"input": {"name": "Inbox", **input}}, token=token)
    payload = data["createAutomationRule"]
    assert payload["userErrors"] == [], payload
    return payload["rule"]


async def refused_rule(gql: Any, token: str, **input: Any) -> list[tuple[str, list[str]]]:
    """The (code, field) of each userError of a rule that must be refused."""
    data = await gql.ok(CREATE_CONVERSATION_RULE, {"input": {"name": "Recusada", **input}}, token=token)
    payload = data["createAutomationRule"]
    assert payload["rule"] is None
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def rule_runs(gql: Any, token: str, rule_id: str) -> list[dict[str, Any]]:
    data = await gql.ok(RULE_RUNS, {"ruleId": rule_id}, token=token)
    return [edge["node"] for edge in data["automationRuns"]["edges"]]


async def thread(gql: Any, token: str, conversation_id: str) -> dict[str, Any]:
    data = (await gql.ok(THREAD, {"id": conversation_id}, token=token))["conversation"]
    data["messages"] = [edge["node"] for edge in data["messages"]["edges"]]
    return data


async def canned_response(gql: Any, token: str, short_code: str, body: str) -> dict[str, Any]:
    spec = {"shortCode": short_code, "title": short_code.title(), "body": body}
    payload = (await gql.ok(CREATE_CANNED, {"input": spec}, token=token))["createCannedResponse"]
    assert payload["userErrors"] == [], payload
    return payload["cannedResponse"]


async def sla_policy(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    spec = {"name": "Resposta", "firstResponseMinutes": 30, "businessHoursOnly": False, **fields}
    payload = (await gql.ok(CREATE_POLICY, {"input": spec}, token=token))["createSlaPolicy"]
    assert payload["userErrors"] == [], payload
    return payload["slaPolicy"]
