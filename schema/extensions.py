"""The extension list: demand control, caches and error masking."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from revgraph.resolvers.settings import Settings

log = logging.getLogger("revgraph.errors")

# Codes a client is meant to read; everything else is an unexpected fault.
PUBLIC_CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "LIMIT_EXCEEDED",
    "QUERY_TOO_COMPLEX",
    "INVALID",
    "BAD_REQUEST",
}


def should_mask(error: GraphQLError) -> bool:
    """Mask exceptions raised in resolvers; let validation, limit and auth
    errors (which carry a public code, or no original exception) through."""
    original = error.original_error
    if original is None:
        return False
    if isinstance(original, GraphQLError):
        return should_mask(original)
    code = (error.extensions or {}).get("code")
    return code not in PUBLIC_CODES


def extensions_for(settings: Settings) -> list[Any]:
    limits = settings.limits
    return [
        ParserCache(maxsize=1024),
        ValidationCache(maxsize=1024),
        QueryDepthLimiter(max_depth=limits.max_depth),
        MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        MaxTokensLimiter(max_token_count=limits.max_tokens),
        MaskErrors(should_mask_error=should_mask, error_message="Unexpected error."),
    ]
