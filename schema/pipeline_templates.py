"""GraphQL surface of pipeline templates: list them, create a pipeline from one."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers import pipeline_templates
from revgraph.schema.common import ctx_of, mutate
from revgraph.schema.deal_operations import PipelinePayload
from revgraph.schema.deals import Pipeline
from revgraph.schema.permissions import ADMIN, AUTHENTICATED


@strawberry.type(description="A stage of a pipeline template, with its gates.")
class PipelineTemplateStage:
    name: str = strawberry.field(description="Stage name.")
    probability: int = strawberry.field(description="Win probability, 0 to 100.")
    kind: str = strawberry.field(description="OPEN, WON or LOST.")
    requires_scheduled_task: bool = strawberry.field(
        description="Entering it requires a scheduled task on the deal."
    )
    required_fields: list[str] = strawberry.field(description="Deal fields that must be filled to enter it.")


@strawberry.type(description="A ready-made funnel to start a workspace from.")
class PipelineTemplate:
    key: str = strawberry.field(description="Pass it to createPipelineFromTemplate.")
    name: str = strawberry.field(description="The pipeline's name.")
    description: str = strawberry.field(description="What the funnel is for.")
    stages: list[PipelineTemplateStage] = strawberry.field(description="Its stages, in order.")

    @classmethod
    def of(cls, template: pipeline_templates.PipelineTemplate) -> PipelineTemplate:
        return cls(
            key=template.key,
            name=template.name,
            description=str(template.description),
            stages=[
                PipelineTemplateStage(
                    name=s["name"],
                    probability=s.get("probability", 0),
                    kind=s.get("kind", "OPEN"),
                    requires_scheduled_task=s.get("requires_scheduled_task", False),
                    required_fields=list(s.get("required_fields", [])),
                )
                for s in template.stages
            ],
        )


@strawberry.type
class PipelineTemplateQuery:
    @strawberry.field(
        description="Ready-made funnels (the real-estate pre-sales funnel of the demo).",
        permission_classes=AUTHENTICATED,
    )
    def pipeline_templates(self) -> list[PipelineTemplate]:
        return [PipelineTemplate.of(t) for t in pipeline_templates.list_templates()]


@strawberry.type
class PipelineTemplateMutation:
    @strawberry.mutation(
        description="Create a pipeline with a template's stages and gates, named as the template unless `name` is given. An unknown key is NOT_FOUND on key. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def create_pipeline_from_template(
        self, info: Info, key: str, name: str | None = None
    ) -> PipelinePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await pipeline_templates.create_pipeline_from_template(ctx, key, name)
            return {"pipeline": Pipeline.of(row)}

        return await mutate(PipelinePayload, work)
