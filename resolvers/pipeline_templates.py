"""Pipeline templates: ready-made funnels a new workspace starts from. The
real-estate pre-sales funnel is the one the demo builds (web/demo.py reads
it from here), so the demo and createPipelineFromTemplate never disagree."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from revgraph.models.pipeline import Pipeline
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import N_, Message, _
from revgraph.resolvers.pipelines import create_pipeline


@dataclass(frozen=True)
class PipelineTemplate:
    key: str
    name: str  # the pipeline's name, data: pt-BR as the stages' names
    description: Message
    # Stage specs as create_pipeline takes them (gates included).
    stages: tuple[dict[str, Any], ...]


REAL_ESTATE_PRE_SALES = PipelineTemplate(
    key="real_estate_pre_sales",
    name="Pré-vendas",
    description=N_(
        "A real-estate pre-sales funnel: from a new lead to a scheduled visit and a proposal; "
        "the visit requires a scheduled task and the proposal a value and an expected close date."
    ),
    stages=(
        {"name": "Novo lead", "probability": 5},
        {"name": "Em contato", "probability": 15},
        {"name": "Visita agendada", "probability": 35, "requires_scheduled_task": True},
        {"name": "Proposta", "probability": 60, "required_fields": ["value", "expectedCloseDate"]},
        {"name": "Ganho", "kind": "WON", "probability": 100},
        {"name": "Perdido", "kind": "LOST", "probability": 0},
    ),
)

TEMPLATES = {template.key: template for template in (REAL_ESTATE_PRE_SALES,)}


def list_templates() -> list[PipelineTemplate]:
    return list(TEMPLATES.values())


async def create_pipeline_from_template(ctx: Context, key: str, name: str | None = None) -> Pipeline:
    """ADMIN creates a pipeline with a template's stages and gates, named as
    the template unless `name` says otherwise."""
    ctx.require_admin()
    template = TEMPLATES.get(key)
    if template is None:
        raise DomainError(
            "NOT_FOUND", _("No pipeline template {key!r}; see pipelineTemplates.", key=key), ["key"]
        )
    stages = [copy.deepcopy(stage) for stage in template.stages]
    return await create_pipeline(ctx, name=name or template.name, stages=stages)
