"""Building pipelines and deals through the API for the pipeline tests."""

from __future__ import annotations

import asyncio
from typing import Any

CREATE_PIPELINE = """
mutation CreatePipeline($input: PipelineInput!) {
  createPipeline(input: $input) {
    pipeline { id name boardSequence stages { id name position kind probability requiredFields requiresScheduledTask entryCondition } }
    userErrors { code message field }
  }
}
"""

DEAL_FIELDS = """
  id title value currency status version lostReason customFields stageEnteredAt deletedAt
  stage { id name } pipeline { id } owner { id }
"""

CREATE_DEAL = f"""
mutation CreateDeal($input: DealInput!) {{
  createDeal(input: $input) {{ deal {{ {DEAL_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

MOVE_DEAL = f"""
mutation MoveDeal($input: MoveDealInput!) {{
  moveDeal(input: $input) {{ deal {{ {DEAL_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

UPDATE_DEAL = f"""
mutation UpdateDeal($id: ID!, $input: DealUpdateInput!) {{
  updateDeal(id: $id, input: $input) {{ deal {{ {DEAL_FIELDS} }} userErrors {{ code message field }} }}
}}
"""

DEAL = f"query Deal($id: ID!) {{ deal(id: $id) {{ {DEAL_FIELDS} stageHistory {{ from {{ name }} to {{ name }} actor {{ id }} at }} }} }}"

BOARD = """
query Board($id: ID!) {
  pipeline(id: $id) {
    boardSequence
    stages { id name dealCount totalValue weightedValue deals(first: 100) { totalCount edges { node { id title value owner { id } } } } }
  }
}
"""

PRE_SALES = [
    {"name": "Novo lead"},
    {"name": "Em contato", "probability": 10},
    {"name": "Visita agendada", "probability": 30, "requiresScheduledTask": True},
    {"name": "Proposta", "probability": 60, "requiredFields": ["value", "expectedCloseDate"]},
    {"name": "Ganho", "kind": "WON", "probability": 100},
    {"name": "Perdido", "kind": "LOST", "probability": 0},
]


async def create_pipeline(
    gql: Any, token: str, stages: list[dict[str, Any]] | None = None, name: str = "Pré-vendas"
) -> dict[str, Any]:
    data = await gql.ok(
        CREATE_PIPELINE, {"input": {"name": name, "stages": stages or PRE_SALES}}, token=token
    )
    payload = data["createPipeline"]
    assert payload["userErrors"] == [], payload
    pipeline = payload["pipeline"]
    pipeline["stage"] = {s["name"]: s["id"] for s in pipeline["stages"]}
    return pipeline


async def create_deal(gql: Any, token: str, pipeline_id: str, **fields: Any) -> dict[str, Any]:
    data = await gql.ok(
        CREATE_DEAL, {"input": {"title": "Apto 2 quartos", "pipelineId": pipeline_id, **fields}}, token=token
    )
    payload = data["createDeal"]
    assert payload["userErrors"] == [], payload
    return payload["deal"]


async def move(gql: Any, token: str, **input: Any) -> dict[str, Any]:
    data = await gql.ok(MOVE_DEAL, {"input": input}, token=token)
    return data["moveDeal"]


async def board(gql: Any, token: str, pipeline_id: str) -> dict[str, Any]:
    data = await gql.ok(BOARD, {"id": pipeline_id}, token=token)
    return data["pipeline"]


def column(board_data: dict[str, Any], stage_name: str) -> list[str]:
    for stage in board_data["stages"]:
        if stage["name"] == stage_name:
            return [edge["node"]["title"] for edge in stage["deals"]["edges"]]
    raise KeyError(stage_name)


def board_members(pipeline_id: str) -> list[Any]:
    """This process's board hub members of the pipeline (resolvers/board_hub.py)."""
    from revgraph.resolvers.board_hub import hubs
    from revgraph.resolvers.ids import pk_of

    pk = pk_of(pipeline_id, "Pipeline")
    return [
        member
        for (_, pipeline), hub in hubs.hubs.items()
        if pipeline == pk
        for group in hub.groups.values()
        for member in group.members
    ]


async def settled(pipeline_id: str, subscribers: int) -> None:
    """Wait until this process's hub feeds `subscribers` of the pipeline
    (a subscription is acknowledged before its resolver has joined)."""
    for _ in range(250):
        joined = len(board_members(pipeline_id))
        if joined >= subscribers:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"only {joined} of {subscribers} subscribers joined the board hub")
