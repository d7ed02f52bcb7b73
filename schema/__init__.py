"""Composes Query, Mutation and Subscription from the domain modules and
owns the extension list (limits, caches, error masking)."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info

import revgraph.schema.board as board_schema
import revgraph.schema.deals as deals_schema
import revgraph.schema.identity as identity_schema
from revgraph.resolvers import deals as deals_use_cases
from revgraph.resolvers import identity as identity_use_cases
from revgraph.resolvers import pipelines as pipelines_use_cases
from revgraph.resolvers.settings import Settings
from revgraph.schema.common import Node, ctx_of, query
from revgraph.schema.nodes import register_node, resolve_node
from revgraph.schema.permissions import AUTHENTICATED

register_node("User", identity_use_cases.get_user, identity_schema.User.of)
register_node("Team", identity_use_cases.get_team, identity_schema.Team.of)
register_node("Pipeline", pipelines_use_cases.get_pipeline, deals_schema.Pipeline.of)
register_node("Stage", pipelines_use_cases.get_stage, deals_schema.Stage.of)
register_node("Deal", deals_use_cases.get_deal, deals_schema.Deal.of)


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any record by its global id; null when it does not exist or the caller may not see it.",
        permission_classes=AUTHENTICATED,
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await query(resolve_node(ctx_of(info), id))


Query = merge_types("Query", (NodeQuery, identity_schema.IdentityQuery, deals_schema.DealsQuery))
Mutation = merge_types("Mutation", (identity_schema.IdentityMutation, deals_schema.DealsMutation))
Subscription = merge_types("Subscription", (board_schema.BoardSubscription,))


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    from revgraph.schema.extensions import extensions_for

    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=board_schema.SharedEventExecutionContext,
        types=[identity_schema.Workspace, identity_schema.ApiKey],
        extensions=extensions_for(settings or Settings()),
    )
