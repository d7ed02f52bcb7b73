"""Documents and builders shared by the automation tests."""

from __future__ import annotations

import asyncio
from typing import Any

from revgraph.resolvers.ids import decode_id

RULE_FIELDS = """
  id name enabled createdAt
  trigger { kind field value fromStage { id name } toStage { id name } }
  contactConditions dealConditions
  actions {
    type waitMinutes tag
    exitCondition { unlessContacted unlessMatches }
    createTask { title dueInMinutes assignTo user { id } }
    setField { field customFieldKey value }
    moveDeal { stage { id name } lostReason }
    sendEmail { to address subject body }
    notify { to message user { id } }
    queue { id } assignee { id }
  }
"""

CREATE_RULE = f"""
mutation CreateRule($input: AutomationRuleInput!) {{
  createAutomationRule(input: $input) {{ rule {{ {RULE_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

UPDATE_RULE = f"""
mutation UpdateRule($id: ID!, $input: AutomationRuleInput!) {{
  updateAutomationRule(id: $id, input: $input) {{ rule {{ {RULE_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

SET_ENABLED = """
mutation SetEnabled($id: ID!, $enabled: Boolean!) {
  setAutomationRuleEnabled(id: $id, enabled: $enabled) { rule { id enabled } userErrors { code message field } }
}
"""

DELETE_RULE = """
mutation DeleteRule($id: ID!) { deleteAutomationRule(id: $id) { deletedId userErrors { code message field } } }
"""

RULES = f"query Rules {{ automationRules {{ {RULE_FIELDS} }} }}"

RUNS = """
query Runs($ruleId: ID, $status: AutomationRunStatus, $first: Int) {
  automationRuns(ruleId: $ruleId, status: $status, first: $first) {
    totalCount
    edges { node {
      id status error reason attempts depth stepsDone eventKind wakeAt createdAt finishedAt
      rule { id name } contact { id } deal { id }
    } }
  }
}
"""

RETRY_RUN = """
mutation Retry($id: ID!) {
  retryAutomationRun(id: $id) { run { id status attempts } userErrors { code message field } }
}
"""

DEAL_TIMELINE = """
query DealTimeline($id: ID!) {
  deal(id: $id) { id stage { id name } timeline(first: 100) { edges { node { id kind summary data actor { id } actorLabel } } } }
}
"""

CONTACT_TIMELINE = """
query ContactTimeline($id: ID!) {
  contact(id: $id) { id tags timeline(first: 100) { edges { node { id kind summary data actor { id } actorLabel } } } }
}
"""

TASK = """
query Task($id: ID!) { node(id: $id) { ... on Task { id title dueAt done assignee { id } } } }
"""

NOTIFICATIONS = """
query Notifications($unreadOnly: Boolean) {
  notifications(first: 50, unreadOnly: $unreadOnly) {
    totalCount edges { node { id message readAt contact { id } deal { id } } }
  }
}
"""

MARK_READ = """
mutation MarkRead($id: ID!) {
  markNotificationRead(id: $id) { notification { id readAt } userErrors { code message field } }
}
"""


async def settle(timeout: float = 60.0) -> None:
    """Wait until every task message (and what it led to) was processed.
    With Redis, `worker_idle` scans keys non-atomically and can catch a
    retry between queues, so idleness must also hold for the runs table."""
    from revgraph.tasks.broker import EmbeddedBroker, broker

    if isinstance(broker, EmbeddedBroker):
        await broker.join_all(timeout=timeout)
        return
    from revgraph.models.automation import AutomationRun
    from tests.conftest import worker_idle

    deadline = asyncio.get_running_loop().time() + timeout
    quiet = 0
    while quiet < 2:
        await worker_idle(timeout=timeout)
        busy = await AutomationRun.filter(status__in=("PENDING", "RUNNING")).exists()
        quiet = 0 if busy else quiet + 1
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("automation runs still in progress")
        await asyncio.sleep(0.1)


async def create_rule(gql: Any, token: str, **input: Any) -> dict[str, Any]:
    data = await gql.ok(CREATE_RULE, {"input": {"name": "Ligar para lead novo", **input}}, token=token)
    payload = data["createAutomationRule"]
    assert payload["userErrors"] == [], payload
    return payload["rule"]


async def runs(gql: Any, token: str, **variables: Any) -> list[dict[str, Any]]:
    data = await gql.ok(RUNS, {"first": 100, **variables}, token=token)
    return [edge["node"] for edge in data["automationRuns"]["edges"]]


async def deal_timeline(gql: Any, token: str, deal_id: str) -> list[dict[str, Any]]:
    data = await gql.ok(DEAL_TIMELINE, {"id": deal_id}, token=token)
    return [edge["node"] for edge in data["deal"]["timeline"]["edges"]]


async def contact_timeline(gql: Any, token: str, contact_id: str) -> list[dict[str, Any]]:
    data = await gql.ok(CONTACT_TIMELINE, {"id": contact_id}, token=token)
    return [edge["node"] for edge in data["contact"]["timeline"]["edges"]]


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]
