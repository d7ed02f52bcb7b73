"""The extension list: demand control, authentication of the operation,
rate limits, caches and error masking (RELIABILITY.md).

Order of refusals, cheapest first, so a refused operation runs no SQL:
parse (tokens) -> the document's shape with fragments expanded once each
(fields, depth, aliases: schema/document_limits.py) -> validation
(graphql-core's rules, mutations per document) -> page sizes with
variables resolved -> cost ceiling -> authentication (the first SQL) ->
introspection policy -> the API key's scope -> rate limit -> the poll cache (schema/poll.py) ->
execution, under a deadline.

Codes of top-level errors: QUERY_TOO_COMPLEX for the shape of the document
(tokens, depth, aliases, cost, more than 4 mutations, logIn/signUp twice);
LIMIT_EXCEEDED for `first`/`last` over 100, for an exhausted rate-limit
budget (then also HTTP 429 with Retry-After) and for a query or mutation
that ran past its deadline (cancelled; a mutation's transaction rolls back); UNAUTHENTICATED for a bearer
token that is invalid, expired or revoked (the whole operation is refused);
INTERNAL for anything unexpected (message masked, `requestId` to quote)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import _AsyncGeneratorContextManager, _GeneratorContextManager
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType

from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.rate_limit import Budget
from revgraph.resolvers.settings import Settings
from revgraph.schema import deadline
from revgraph.schema.demand import (
    DeliveredFields,
    Demand,
    counted_delivery,
    delivered_cost,
    measure_demand,
    mutation_rule,
)
from revgraph.schema.document_limits import DocumentLimits, document_problem
from revgraph.schema.key_scope_gate import scope_problem
from revgraph.schema.poll import PollCaching

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
# graphql-core reports these without a code: the token limit of its
# parser, and validation it aborted on a pathological document (e.g. ~900
# copies of one field overflow its overlap check). Both are too complex.
LIMITER_MESSAGES = (
    "Document contains more than",
    "Validation aborted.",
)


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


def refusal(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class ErrorMasking(SchemaExtension):
    """Unexpected exceptions become "Unexpected error." with the request id
    (extensions.code INTERNAL, extensions.requestId); the full traceback is
    logged under the same id. Limiter errors get their public code.

    Works in `get_results`, which Strawberry calls for every result it
    returns (errors from resolvers, validation, and exceptions escaping
    other extensions' hooks alike) with `pre_execution_errors` being that
    result's own error list, so editing it in place edits the response.
    MaskErrors' hooks miss the errors raised inside extension hooks."""

    message = N_("Unexpected error.")

    def get_results(self) -> dict[str, Any]:
        errors = self.execution_context.pre_execution_errors
        for index, error in enumerate(errors or ()):
            errors[index] = self.public_form(error)  # type: ignore[index]
        return {}

    def public_form(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        ctx = context.get("ctx") if isinstance(context, dict) else None
        return public_error(error, getattr(ctx, "request_id", "unknown"))


def public_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """What a client may see of an error: unexpected ones masked (and
    logged with their traceback under the request id), limiter ones coded."""
    if should_mask(error):
        original = error.original_error
        log.error(
            "unexpected error, request %s, path %s: %s",
            request_id,
            error.path,
            type(original).__name__,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        return GraphQLError(
            message=str(ErrorMasking.message),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )
    if error.original_error is None and any(m in error.message for m in LIMITER_MESSAGES):
        error.extensions = {**(error.extensions or {}), "code": "QUERY_TOO_COMPLEX"}
    return error


class ParseReportingErrors(ParserCache):
    """Strawberry's parser cache under the token limit, except that a
    document that does not parse (a syntax error, more tokens than allowed)
    is left for Strawberry to parse again inside its own error handling.
    Raised from this hook, the error escaped the websocket handler, whose
    client then got a bare `complete` instead of the protocol's `error`
    message.

    The limit is set here, not by Strawberry's MaxTokensLimiter: each
    extension costs every request a hook of its own to build and run, and
    that one only set this option."""

    def __init__(self, max_tokens: int, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        # Strawberry's own parse (the error path) reads the same options.
        self.execution_context.parse_options["max_tokens"] = self.max_tokens
        try:
            yield from super().on_parse()
        except GraphQLError:
            self.execution_context.graphql_document = None
            yield


class LimitedValidation(ValidationCache):
    """The document's shape first (schema/document_limits.py: linear in the
    document, fragments measured once), then graphql-core's validation with
    the project's rules added (cached). A document refused by its shape is
    never validated, so its fragments are never expanded by anything.

    The rules are added here, not by Strawberry's AddValidationRules (one
    hook fewer per request, as for the token limit above); `rules` is one
    tuple for the life of the schema, so the cache recognises it."""

    def __init__(self, limits: DocumentLimits, rules: tuple[type[ASTValidationRule], ...]) -> None:
        super().__init__(maxsize=1024)
        self.limits = limits
        self.rules = rules

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        assert document is not None
        ec.validation_rules = ec.validation_rules + self.rules
        if not within_limits(document, self.limits):
            problem = document_problem(document, self.limits)
            if problem is not None:
                ec.pre_execution_errors = [problem]
                yield
                return
            _within[id(document), self.limits] = document
            if len(_within) > DOCUMENTS_WITHIN_KEPT:
                _within.popitem(last=False)
        yield from super().on_validate()


# Documents (from the parser cache, so a repeated request's is the same
# object) already measured within their limits: a repeated request is not
# measured again. Only passes are kept: a refusal's message is in the
# caller's language. The document is held, so its id is not reused.
DOCUMENTS_WITHIN_KEPT = 1024
_within: OrderedDict[tuple[int, DocumentLimits], DocumentNode] = OrderedDict()


def within_limits(document: DocumentNode, limits: DocumentLimits) -> bool:
    return _within.get((id(document), limits)) is document


class DemandControl(SchemaExtension):
    """Admits an operation after validation: page sizes, cost ceiling,
    authentication, introspection policy and rate limit, in that order.
    Reports `extensions.cost` ({requested, limit} plus the caller's budget).

    A query or mutation runs, admission included, for at most the
    operation timeout of wall time; past it the operation is cancelled at
    its next await (a mutation's transaction rolls back) and answered
    LIMIT_EXCEEDED. Subscriptions are long-lived by design and have no
    deadline. The deadline lives in this one hook because Strawberry does
    not unwind the hooks entered before one whose entry raises."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.demand: Demand | None = None
        self.delivered: int | None = None
        self.budget: Budget | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        seconds = self.settings.limits.operation_timeout_seconds
        if self.execution_context.operation_type == OperationType.SUBSCRIPTION or seconds <= 0:
            seconds = None
        if seconds is not None:
            # Hooks entered after this one may be where the deadline's
            # cancellation lands: they answer it themselves (schema/deadline.py).
            deadline.start(self.context, seconds)
        try:
            async with asyncio.timeout(seconds):
                # Raising here refuses the operation before any resolver
                # runs, for queries, mutations and subscriptions alike.
                actor, limiter = await self._admit()
                counted_delivery.set(DeliveredFields())
                yield
        except TimeoutError:
            raise deadline.refusal(seconds) from None
        if actor is None or limiter is None:
            return
        result = self.execution_context.result
        data = getattr(result, "data", None)
        ec = self.execution_context
        assert ec.graphql_document is not None
        # A cached answer's is known (schema/poll.py).
        self.delivered = self.context.get("delivered_cost")
        if self.delivered is None:
            errors = getattr(result, "errors", None)
            self.delivered = delivered_cost(ec.graphql_document, ec.operation_name, data, errors)
        self.budget = await limiter.charge(actor, self.delivered)
        self._report_budget(self.budget)

    async def _admit(self) -> tuple[Any, Any]:
        limits = self.settings.limits
        ec = self.execution_context
        assert ec.graphql_document is not None
        self.demand = measure_demand(
            ec.schema._schema,
            ec.graphql_document,
            ec.operation_name,
            ec.variables,
            max_page_size=limits.max_page_size,
            default_page_size=limits.default_page_size,
        )
        demand = self.demand or Demand()
        if demand.page_size_problem:
            raise refusal(demand.page_size_problem, "LIMIT_EXCEEDED")
        if demand.cost > limits.max_cost:
            raise refusal(
                _(
                    "This query would cost {demand_cost} points; the limit is {limits_max_cost}. Ask for smaller pages (`first`/`last`) or fewer nested connections.",
                    demand_cost=demand.cost,
                    limits_max_cost=limits.max_cost,
                ),
                "QUERY_TOO_COMPLEX",
            )
        context = self.context
        authenticate = context.get("authenticate")
        if authenticate is not None:
            await authenticate()
        if context.get("bad_token"):
            raise refusal(
                _("The bearer token is invalid, expired or revoked: log in again or use a valid API key."),
                "UNAUTHENTICATED",
            )
        actor = getattr(context.get("ctx"), "actor", None)
        if demand.introspection and actor is None and not self.settings.anonymous_introspection:
            raise refusal(
                _(
                    "Introspection requires authentication on this server: send Authorization: Bearer <token>."
                ),
                "UNAUTHENTICATED",
            )
        problem = scope_problem(actor, ec.graphql_document, ec.operation_name)
        if problem is not None:
            raise refusal(problem, "FORBIDDEN")
        limiter = context.get("rate_limiter")
        if actor is None or limiter is None:
            return actor, None
        context["requested_cost"] = demand.cost
        self.budget = await limiter.admit(actor, demand.cost)
        self._report_budget(self.budget)
        if not self.budget.allowed:
            reset = datetime.fromtimestamp(self.budget.reset, UTC).isoformat()
            raise refusal(
                _(
                    "Rate limit exhausted: {budget_remaining} of {budget_limit} points left and this operation may cost {demand_cost}. The budget resets at {reset}.",
                    budget_remaining=self.budget.remaining,
                    budget_limit=self.budget.limit,
                    demand_cost=demand.cost,
                    reset=reset,
                ),
                "LIMIT_EXCEEDED",
            )
        return actor, limiter

    @property
    def context(self) -> dict[str, Any]:
        context = self.execution_context.context
        return context if isinstance(context, dict) else {}

    def _report_budget(self, budget: Budget) -> None:
        """GitHub-style headers on HTTP responses; a refusal is also 429."""
        if self.context.get("transport") != "http":
            return
        response = self.context.get("response")
        # The raw list, not MutableHeaders.update (a search per header), and
        # the admission's figures replaced by the charge's.
        raw = [(name.encode(), value.encode()) for name, value in budget.headers().items()]
        names = {name for name, _ in raw}
        headers = response.headers.raw
        headers[:] = [h for h in headers if h[0] not in names] + raw
        if budget.allowed:
            return
        response.status_code = 429
        response.headers["retry-after"] = str(max(budget.reset - int(datetime.now(UTC).timestamp()), 1))

    def get_results(self) -> dict[str, Any]:
        ec = self.execution_context
        if ec.graphql_document is not None and ec.operation_type == OperationType.SUBSCRIPTION:
            # Charged once when subscribing; repeating the report on every
            # event would also make each subscriber's frame unique, where
            # shared results are encoded once for all (web/graphql_view.py).
            return {}
        requested = self.demand.cost if self.demand else None
        return {"cost": cost_report(self.settings, requested, self.delivered, self.budget)}


def cost_report(
    settings: Settings, requested: int | None, delivered: int | None, budget: Budget | None
) -> dict:
    """`extensions.cost` of a response: the estimate, the ceiling, what was
    delivered and the caller's budget after it."""
    cost: dict[str, Any] = {"requested": requested, "limit": settings.limits.max_cost}
    if delivered is not None:
        cost["actual"] = delivered
    if budget is not None:
        cost["rateLimit"] = {
            "limit": budget.limit,
            "remaining": budget.remaining,
            "used": budget.used,
            "resetAt": datetime.fromtimestamp(budget.reset, UTC).isoformat(),
        }
    return cost


def extensions_for(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories, not instances: Strawberry shares an instance between
    concurrent requests, and these keep per-request state. Validation rules
    are built once so the validation cache recognises them."""
    limits = settings.limits
    shape = DocumentLimits(
        max_depth=limits.max_depth, max_aliases=limits.max_aliases, max_fields=limits.max_fields
    )
    rules = (mutation_rule(limits.max_mutations_per_document),)
    return [
        lambda: ParseReportingErrors(limits.max_tokens, maxsize=1024),
        lambda: LimitedValidation(shape, rules),
        lambda: DemandControl(settings),
        # After DemandControl: a cached answer is admitted and charged too.
        PollCaching,
        ErrorMasking,
    ]


class _NoHooks:
    """A stage no extension hooks into: entered and left for nothing."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


NO_HOOKS = _NoHooks()


@cache
def _overrides(extension_class: type, name: str) -> bool:
    return getattr(extension_class, name) is not getattr(SchemaExtension, name)


@cache
def _generator_hook(extension_class: type, hook_name: str) -> tuple[Callable[..., Any], bool] | None:
    """The class's hook and whether it is async, when it is a generator
    (every hook of this list); None for any other kind of hook."""
    hook = getattr(extension_class, hook_name)
    if inspect.isgeneratorfunction(hook):
        return hook, False
    if inspect.isasyncgenfunction(hook):
        return hook, True
    return None


def _lean_stage(manager: type[ExtensionContextManagerBase]) -> type[ExtensionContextManagerBase]:
    class LeanStage(manager):  # type: ignore[valid-type, misc]
        def get_hook(self, extension: SchemaExtension) -> Any:
            found = _generator_hook(type(extension), self.HOOK_NAME)
            if found is None:
                return super().get_hook(extension)
            hook, is_async = found
            # What contextlib.(async)contextmanager(MethodType(hook,
            # extension))() builds, without a decorated wrapper made (and
            # functools.update_wrapper run) per hook and request.
            if is_async:
                return WrappedHook(
                    extension, partial(_AsyncGeneratorContextManager, hook, (extension,), {}), True
                )
            return WrappedHook(extension, partial(_GeneratorContextManager, hook, (extension,), {}), False)

    LeanStage.__name__ = LeanStage.__qualname__ = "Lean" + manager.__name__
    return LeanStage


_OPERATION = _lean_stage(OperationContextManager)
_VALIDATION = _lean_stage(ValidationContextManager)
_PARSING = _lean_stage(ParsingContextManager)
_EXECUTING = _lean_stage(ExecutingContextManager)


class HookedStagesRunner(SchemaExtensionsRunner):
    """Strawberry's runner, minus its per-request bookkeeping: which
    extension hooks into which stage is looked up once per class, not once
    per extension, stage and request; a stage gets Strawberry's own context
    manager over just the extensions that hook into it (same order, same
    exception semantics, each generator hook entered through contextlib's
    own manager class), and a stage none hooks into (`on_operation`, here)
    gets nothing at all; only extensions that report results are asked for
    them. Every request enters four stages with the five extensions, and
    most stages have one hook or none: bench/extension_hooks.py."""

    def _stage(self, manager: type[ExtensionContextManagerBase]) -> Any:
        hooked = [e for e in self.extensions if _overrides(type(e), manager.HOOK_NAME)]
        return manager(hooked) if hooked else NO_HOOKS

    def operation(self) -> Any:
        return self._stage(_OPERATION)

    def validation(self) -> Any:
        return self._stage(_VALIDATION)

    def parsing(self) -> Any:
        return self._stage(_PARSING)

    def executing(self) -> Any:
        return self._stage(_EXECUTING)

    async def get_extensions_results(self, ctx: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if _overrides(type(extension), "get_results"):
                results = extension.get_results()
                if inspect.isawaitable(results):
                    results = await results
                data.update(results)
        data.update(ctx.extensions_results)
        return data


class OperationOnceContext(ExecutionContext):
    """Strawberry's execution context, whose operation name and type are
    found in the document once per request: Strawberry's properties look
    for the operation again at each read (~12 per request: the pipeline's
    own, DemandControl's, the poll cache's). Each answer is kept with the
    document it was read from, so a document set later (the parse stage)
    is read afresh; an error (no such operation) is raised each time, as
    before."""

    @property
    def operation_name(self) -> str | None:
        if self._provided_operation_name is not None:
            return self._provided_operation_name
        document = self.graphql_document
        known = self.__dict__.get("_name_of")
        if known is not None and known[0] is document:
            return known[1]
        name = ExecutionContext.operation_name.fget(self)  # type: ignore[attr-defined]
        self.__dict__["_name_of"] = (document, name)
        return name

    @property
    def operation_type(self) -> OperationType:
        document = self.graphql_document
        known = self.__dict__.get("_type_of")
        if known is not None and known[0] is document:
            return known[1]
        kind = ExecutionContext.operation_type.fget(self)  # type: ignore[attr-defined]
        self.__dict__["_type_of"] = (document, kind)
        return kind
