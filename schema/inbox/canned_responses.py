"""GraphQL surface of canned responses: saved replies every member finds
by "/shortCode" or by words, and ADMIN creates."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox import canned_responses
from revgraph.schema.common import SEARCH_LIMIT, Node, UserError, ctx_of, input_dict, payload_mutation, query
from revgraph.schema.permissions import ADMIN, AUTHENTICATED


@strawberry.type(
    description='A saved reply an agent inserts by typing "/" and its shortCode. Every member reads them; ADMIN creates them.'
)
class CannedResponse(Node):
    short_code: str = strawberry.field(
        description='Unique in the workspace; lower-case letters, digits, "_" and "-", without the "/".'
    )
    title: str = strawberry.field(description="What it is for, shown in the picker.")
    body: str = strawberry.field(description="The text inserted into the reply.")

    @classmethod
    def of(cls, row: Any) -> CannedResponse:
        return cls(
            id=strawberry.ID(encode_id("CannedResponse", row.id)),
            short_code=row.short_code,
            title=row.title,
            body=row.body,
        )


@strawberry.input(description="A new canned response. ADMIN only.")
class CannedResponseInput:
    short_code: str = strawberry.field(
        description='1 to 64 letters a-z, digits, "_" or "-"; a leading "/" is dropped and letters are stored lower-case. Unique in the workspace (DUPLICATE).'
    )
    title: str = strawberry.field(description="Not blank, one line, at most 200 characters.")
    body: str = strawberry.field(
        description=f"Not blank, at most {canned_responses.MAX_BODY_CHARS} characters; lines kept."
    )


@strawberry.type(description="Result of createCannedResponse.")
class CannedResponsePayload:
    canned_response: CannedResponse | None = strawberry.field(default=None, description="The new response.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


_canned_mutation = payload_mutation(CannedResponsePayload, "canned_response", CannedResponse.of)


@strawberry.type
class CannedResponsesQuery:
    @strawberry.field(
        description=(
            f"The workspace's canned responses, at most {canned_responses.MAX_RESULTS}, by shortCode. "
            '`search` "/code": shortCodes starting with "code"; one word: shortCodes starting with it, '
            "or titles and bodies containing it; several words: titles and bodies containing every one "
            f"(ignoring case). {SEARCH_LIMIT}"
        ),
        permission_classes=AUTHENTICATED,
    )
    async def canned_responses(self, info: Info, search: str | None = None) -> list[CannedResponse]:
        rows = await query(canned_responses.canned_responses(ctx_of(info), search))
        return [CannedResponse.of(row) for row in rows]


@strawberry.type
class CannedResponsesMutation:
    @strawberry.mutation(description="Create a canned response. ADMIN only.", permission_classes=ADMIN)
    async def create_canned_response(self, info: Info, input: CannedResponseInput) -> CannedResponsePayload:
        return await _canned_mutation(canned_responses.create_canned_response)(info, input_dict(input))
