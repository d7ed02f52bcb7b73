"""GraphQL surface of capture forms: their configuration (ADMIN only).
The forms themselves are posted to over plain HTTP at `/f/<key>`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers.distribution import forms
from revgraph.resolvers.ids import encode_id
from revgraph.schema.common import Node, UserError, ctx_of, input_dict, mutate, query
from revgraph.schema.deals import Pipeline
from revgraph.schema.permissions import ADMIN
from revgraph.schema.queues import Queue

if TYPE_CHECKING:
    from revgraph.schema.developments import Development

MAPPING_HELP = (
    "JSON object {postedFieldName: leadField}; lead fields are name, email, phone, message, media, "
    "campaign, landingPage or customFields.<key>. Posted name, email, phone and message are read "
    "as themselves unless mapped otherwise."
)


@strawberry.type(
    description=(
        "A public capture form (landing page). Anyone who knows its key may POST to its endpoint — "
        "JSON, or an HTML form's urlencoded/multipart body — creating or re-entering a lead with the "
        "form's origin defaults, rate limited per client IP. ADMIN only."
    )
)
class Form(Node):
    key: str = strawberry.field(
        description="The unguessable public key in the endpoint path; fixed for the form's life."
    )
    name: str = strawberry.field(description="Form name, shown on the timeline as the capture's actor.")
    field_mapping: JSON = strawberry.field(description=MAPPING_HELP)
    source: str = strawberry.field(description='Source recorded for its leads (default "form").')
    media: str | None = strawberry.field(description="Media recorded unless the post sends one.")
    campaign: str | None = strawberry.field(description="Campaign recorded unless the post sends one.")
    thank_you_url: str | None = strawberry.field(
        description="Where HTML form posts are redirected (303, with ?ok=1); null: a thank-you page."
    )
    honeypot_field: str = strawberry.field(
        description="A hidden field only bots fill: such posts are answered as successes and capture nothing."
    )
    endpoint: str = strawberry.field(description='Path to POST leads to: "/f/<key>".')
    created_at: datetime = strawberry.field(description="When the form was created.")
    archived_at: datetime | None = strawberry.field(
        description="When the form was archived (its endpoint answers 404); null while live."
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="The queue that distributes its leads; null: none.")
    async def queue(self, info: Info) -> Queue | None:
        if self.row.queue_id is None:
            return None
        row = await forms.queues(ctx_of(info)).load(self.row.queue_id)
        return Queue.of(row) if row else None

    @strawberry.field(description="The pipeline a deal is opened in for each lead; null: no deal.")
    async def pipeline(self, info: Info) -> Pipeline | None:
        if self.row.pipeline_id is None:
            return None
        row = await forms.pipelines(ctx_of(info)).load(self.row.pipeline_id)
        return Pipeline.of(row) if row else None

    @strawberry.field(
        description="The development its leads are interested in (added to their contacts' interests and given to their deals); null: none."
    )
    async def development(
        self, info: Info
    ) -> Annotated[Development, strawberry.lazy("revgraph.schema.developments")] | None:
        from revgraph.schema.developments import development_of

        return await development_of(ctx_of(info), self.row.development_id)

    @classmethod
    def of(cls, row: Any) -> Form:
        return cls(
            id=strawberry.ID(encode_id("Form", row.id)),
            key=row.key,
            name=row.name,
            field_mapping=row.field_mapping or {},
            source=row.source,
            media=row.media,
            campaign=row.campaign,
            thank_you_url=row.thank_you_url,
            honeypot_field=row.honeypot_field,
            endpoint=forms.endpoint_of(row),
            created_at=row.created_at,
            archived_at=row.archived_at,
            row=row,
        )


@strawberry.input(description="A new capture form.")
class FormInput:
    name: str = strawberry.field(description="Form name (1..200 characters).")
    field_mapping: JSON | None = strawberry.field(default=None, description=MAPPING_HELP)
    source: str | None = strawberry.field(default=None, description='Source of its leads; default "form".')
    media: str | None = strawberry.field(default=None, description="Default media (paid, organic...).")
    campaign: str | None = strawberry.field(default=None, description="Default campaign.")
    queue_id: strawberry.ID | None = strawberry.field(
        default=None, description="Distribute its leads through this queue."
    )
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Open a deal in this pipeline for each lead."
    )
    development_id: strawberry.ID | None = strawberry.field(
        default=None, description="The development its leads are interested in (a live one)."
    )
    thank_you_url: str | None = strawberry.field(
        default=None, description="Absolute http(s) URL HTML posts are redirected to."
    )
    honeypot_field: str | None = strawberry.field(
        default=None, description='Hidden anti-bot field name; default "website".'
    )


@strawberry.input(
    description="Changes to a form: only the fields sent change; null clears media, campaign, queue, pipeline, development and thank-you URL, and resets source and honeypot to their defaults."
)
class UpdateFormInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Form name.")
    field_mapping: JSON | None = strawberry.field(default=strawberry.UNSET, description=MAPPING_HELP)
    source: str | None = strawberry.field(default=strawberry.UNSET, description="Source of its leads.")
    media: str | None = strawberry.field(default=strawberry.UNSET, description="Default media.")
    campaign: str | None = strawberry.field(default=strawberry.UNSET, description="Default campaign.")
    queue_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Queue that distributes its leads."
    )
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Pipeline a deal is opened in."
    )
    development_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Development its leads are interested in."
    )
    thank_you_url: str | None = strawberry.field(
        default=strawberry.UNSET, description="Absolute http(s) URL HTML posts are redirected to."
    )
    honeypot_field: str | None = strawberry.field(
        default=strawberry.UNSET, description="Hidden anti-bot field name."
    )


@strawberry.type(description="Result of createForm / updateForm / archiveForm.")
class FormPayload:
    form: Form | None = strawberry.field(default=None, description="The form.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class FormsQuery:
    @strawberry.field(
        description="Capture forms of the workspace, oldest first. ADMIN only.", permission_classes=ADMIN
    )
    async def forms(
        self,
        info: Info,
        include_archived: Annotated[
            bool, strawberry.argument(description="Also list archived forms.")
        ] = False,
    ) -> list[Form]:
        rows = await query(forms.list_forms(ctx_of(info), include_archived=include_archived))
        return [Form.of(r) for r in rows]


@strawberry.type
class FormsMutation:
    @strawberry.mutation(
        description="Create a capture form with a new public key. ADMIN only.", permission_classes=ADMIN
    )
    async def create_form(
        self, info: Info, input: Annotated[FormInput, strawberry.argument(description="The new form.")]
    ) -> FormPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"form": Form.of(await forms.create_form(ctx, input_dict(input)))}

        return await mutate(FormPayload, work)

    @strawberry.mutation(
        description="Change a form's configuration; its key and endpoint stay. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_form(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The form.")],
        input: Annotated[UpdateFormInput, strawberry.argument(description="The fields to change.")],
    ) -> FormPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"form": Form.of(await forms.update_form(ctx, id, input_dict(input)))}

        return await mutate(FormPayload, work)

    @strawberry.mutation(
        description="Archive a form: its endpoint answers 404 from then on; its leads keep their origin. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def archive_form(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The form.")]
    ) -> FormPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"form": Form.of(await forms.archive_form(ctx, id))}

        return await mutate(FormPayload, work)
