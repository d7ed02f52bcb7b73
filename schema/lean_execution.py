"""The GraphQL side of hot reads: how lists and boards are executed lean.

House rule (STYLE.md, "hot read paths"), with resolvers/read_rows.py:
- a list or board reads its rows as plain rows (resolvers/read_rows.py)
  and loads what its edges need for the whole page at once, looking ahead
  at the selection (`preload_page` in schema/connections.py; the deals'
  `deal_connection`); the fields below then answer synchronously over
  what was loaded (`loaded_or_later`), so a page costs no coroutine, task
  or loop turn per record and field. A new list type does the same.
- plain leaf fields (a scalar or enum read off the object, no resolver,
  no permission, no field extension) skip graphql-core's per-field
  machinery (resolve info, Strawberry's resolver wrapper, awaitable
  checks): `LeanExecutionContext` reads the attribute and coerces it, and
  hands anything unusual (null in a non-null field, a value that does not
  coerce, an exception) to the normal path, which reports it as before.
  Schema extensions with a `resolve` hook turn this off for the request,
  so a per-field hook is never skipped.
- a synchronous resolver without arguments (company, owner, tags of a
  listed record) is called straight from graphql-core (`thin_resolvers`),
  without Strawberry's per-call argument conversion and extension chain,
  which such a field does not use.
- the objects under a list (and every object whose selection it can
  compile) are completed by a compiled plan (schema/lean_plans.py, owned
  by this module): the selection is compiled once per schema, operation,
  directive variable values, type and field nodes — kept across requests
  (`plan_cache`), so a repeated request compiles nothing — and each
  object's result dict is produced by a loop over
  its steps, without graphql-core's per-field Path, resolve info and
  completion calls; anything unusual goes back to graphql-core at the
  same position.
- a listed record's edge answered over its page's preload (a contact's
  company, owner and tags; a company's owner) is declared once as a
  `Preload` (loader, key column, how the record is shown): its resolver
  body is `SPEC.resolve(self, info)`, and a compiled plan answers it with
  the execution's bound loader (`Preload.bind`), without building a
  resolve info and a Strawberry Info or calling the resolver per record;
  a record that was not preloaded (or anything that raises) goes to the
  resolver, which answers as before. A new list's edges do the same.
- the executor counts the fields it executes (the plans the fields they
  deliver), so a request's delivered cost (schema/demand.py) is known
  without walking the result.
- an object made from a display row (`Deal.of`, `Contact.of`... over a
  resolvers/read_rows.py `Row`) computes each field from its row when the
  field is first read (`fields_from_row`): a card of the board shows 4 of a
  deal's 14 fields, and building all of them — a global id, a quantized
  Decimal, an enum, the JSON and datetime columns the row would then
  convert — was most of what a card cost. An object made from an ORM
  instance, which a use case may still change, is computed at once, as the
  constructor did.

A board of 8 × 50 cards executes ~3,000 fields and a contacts page ~700:
per field, this path costs a fraction of the general one."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import partial
from inspect import isawaitable
from operator import attrgetter, itemgetter
from typing import Any

from graphql import GraphQLEnumType, GraphQLNonNull, GraphQLScalarType, GraphQLSchema
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField
from strawberry.types.private import is_private

from revgraph.resolvers.context import RELEASED_WHEN_CLOSED
from revgraph.resolvers.read_rows import JOIN, Row
from revgraph.schema.demand import counted_delivery
from revgraph.schema.lean_plans import (
    NOT_PRELOADED,
    SETTLED,
    CompiledPlans,
    PlanCache,
    output_of,
    plain_type_of,
)

DEFINITION = "strawberry-definition"
# (type name, field name) -> (attribute, leaf type, non-null, how its values
# are coerced: lean_plans.output_of) per schema.
PlainFields = dict[tuple[str, str], tuple[str, Any, bool, Any]]
_plain_fields_of: weakref.WeakKeyDictionary[GraphQLSchema, PlainFields] = weakref.WeakKeyDictionary()
# Compiled plans across requests, per schema (schema/lean_plans.py).
_plan_caches: weakref.WeakKeyDictionary[GraphQLSchema, PlanCache] = weakref.WeakKeyDictionary()


def plan_cache(schema: GraphQLSchema) -> PlanCache:
    cache = _plan_caches.get(schema)
    if cache is None:
        cache = _plan_caches[schema] = PlanCache()
    return cache


def plain_fields(schema: GraphQLSchema) -> PlainFields:
    """The schema's plain leaf fields, found once per schema."""
    found = _plain_fields_of.get(schema)
    if found is not None:
        return found
    found = {}
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        for field_name, definition in getattr(named, "fields", {}).items():
            field = (definition.extensions or {}).get(DEFINITION)
            if field is None or field.base_resolver is not None or field.extensions:
                continue
            if getattr(field, "default_resolver", getattr) is not getattr or field.directives:
                continue
            leaf, non_null = definition.type, False
            if isinstance(leaf, GraphQLNonNull):
                leaf, non_null = leaf.of_type, True
            if isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
                found[(type_name, field_name)] = (field.python_name, leaf, non_null, output_of(leaf))
    _plain_fields_of[schema] = found
    return found


class LeanExecutionContext(CompiledPlans, StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the lean path for plain leaf
    fields, compiled plans for objects and the count of delivered fields
    (see the module's note)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        per_field_hooks = manager is not None and manager._middleware_resolvers is not None
        self.plain = {} if per_field_hooks else plain_fields(self.schema)
        self.compiling = not per_field_hooks
        self.delivery = counted_delivery.get()
        self._plans = {}
        self._infos = {}
        self._bound = {}
        self._shared_results = {}
        # Plans kept across requests for this operation and its directive
        # values; only with the lean path on, whose plans read `plain`.
        self._shared_plans = (
            plan_cache(self.schema).plans_for(
                self.operation, self.fragment_definitions, self.variable_values.coerced
            )
            if self.compiling
            else None
        )
        self.settled = set(SETTLED)
        # An HTTP request's executor keeps its bound answers and shared
        # records (a board's rows) in a cycle of its own: dropped when the
        # request is answered (Context.close). A socket's context lives as
        # long as the socket, so its executors are not listed there.
        context = self.context_value
        if isinstance(context, dict) and context.get("transport") == "http" and "ctx" in context:
            context["ctx"].cache.setdefault(RELEASED_WHEN_CLOSED, []).append(self._release)

    def _release(self) -> None:
        self._bound = {}
        self._shared_results = {}

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        executor._plans = {}  # keyed by the identity of this event's field lists
        executor._infos = {}  # the event is the root value its infos carry
        executor._bound = {}  # and its context the loaders of its preloads
        executor._shared_results = {}  # and its records their own answers
        return executor

    def complete_object_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self.compiling and position_context is None and getattr(self, "defer_usage_set", None) is None:
            is_type_of = return_type.is_type_of
            if plain_type_of(is_type_of) and (is_type_of is None or is_type_of(result, info) is True):
                plan = self.plan_for(return_type, field_details_list)
                if plan is not None:
                    return self.run_plan(plan, result, path)
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def execute_uncounted_field(
        self, parent_type: Any, source: Any, field_details_list: Any, path: Any, position_context: Any
    ) -> Any:
        """graphql-core's execution of a field, for a plan that counted it."""
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def execute_field(
        self,
        parent_type: Any,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        name = field_details_list[0].node.name.value
        delivery = self.delivery
        if delivery is not None and not name.startswith("__") and not parent_type.name.startswith("__"):
            delivery.fields += 1
        plan = self.plain.get((parent_type.name, name))
        if plan is not None:
            attribute, _, non_null, coerce = plan
            try:
                value = getattr(source, attribute)
                if value is None:
                    if not non_null:
                        return None
                elif not isinstance(value, Exception):
                    coerced = coerce(value)
                    if coerced is not None and coerced is not Undefined:
                        return coerced
            except Exception:  # the normal path below reports it
                pass
        return super().execute_field(parent_type, source, field_details_list, path, position_context)


def loaded_or_later(loader: Any, key: Any, then: Any, *, shared: bool = False) -> Any:
    """`then(record)` at once when the request loaded `key` ahead (a page's
    preload), else an awaitable of it: a field over preloaded data answers
    synchronously, and still works where nothing was preloaded. `shared`:
    make it once per record and request (a board's 400 cards have a few
    owners), for a `then` that only shapes the record."""
    if shared:
        made = loader.made.get((key, then), _NOT_MADE)
        if made is not _NOT_MADE:
            return made
    loaded, record = loader.peek(key)
    if not loaded:
        return _later(loader.load(key), then)
    value = then(record)
    if shared:
        loader.made[(key, then)] = value
    return value


_NOT_MADE = object()


class Preload:
    """An edge of a listed record answered over what its page loaded ahead
    (`preload_page`): the field's value is `then(record)` of the record
    `loader(ctx)` holds for `key(source)` (None when the key is None).

    One spec, two ways of answering, the same value:
    - `resolve(source, info)`, the field's resolver body (graphql-core's
      path, and a record whose page loaded nothing: an awaitable then);
    - `bind(context)`, once per execution: the compiled plan
      (schema/lean_plans.py) calls what it returns for each listed record,
      without building a resolve info, a Strawberry Info or looking the
      loader up again (three edges of 50 contacts: 150 of each). It
      answers NOT_PRELOADED when the record is not loaded (or anything
      raises), and the plan then calls the resolver as before.

    `with_ctx`: `then(ctx, record)`. `shared`: made once per record and
    request (`loaded_or_later`), and its selection completed once per
    record by the plan that shows it (schema/lean_plans.py,
    `_shared_results`). `context_of`: the loader's Context from
    the GraphQL context value.

    `joined`: the name of a resolvers/read_rows.py `Join` the source's row
    may carry (the board's cards read their owner and contact in their own
    statement): then the record is the carried one, not the loader's. A
    carried record holds only the columns its selection shows, so its
    answer is memoised per bound answer (one selection), never in the
    loader's request-wide memo. `own_context`: an attribute of the source
    that, when set, is the Context to use (a record reached through a live
    event carries its subscriber's): the bound answer then steps aside and
    the resolver answers with it."""

    __slots__ = (
        "carried",
        "context_of",
        "joined",
        "key",
        "loader",
        "own_context",
        "shared",
        "then",
        "with_ctx",
    )

    def __init__(
        self,
        loader: Callable[[Any], Any],
        key: Callable[[Any], Any],
        then: Callable[..., Any],
        *,
        shared: bool = False,
        with_ctx: bool = False,
        context_of: Callable[[Any], Any] = itemgetter("ctx"),
        joined: str | None = None,
        own_context: str | None = None,
    ) -> None:
        if shared and with_ctx:
            raise TypeError("a shared preload cannot depend on the context")
        self.joined = joined
        self.carried = None if joined is None else JOIN + joined
        self.own_context = own_context
        self.loader = loader
        self.key = key
        self.then = then
        self.shared = shared
        self.with_ctx = with_ctx
        self.context_of = context_of

    def field(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Mark a resolver (`return SPEC.resolve(self, info)`) as this preload's."""
        function.preload = self  # type: ignore[attr-defined]  # read by thin_resolvers
        return function

    def resolve(self, source: Any, info: Any) -> Any:
        key = self.key(source)
        if key is None:
            return None
        ctx = self.own_context and getattr(source, self.own_context)
        if not ctx:
            ctx = self.context_of(info.context)
        then = partial(self.then, ctx) if self.with_ctx else self.then
        if self.carried is not None:
            carried = source.row.__dict__.get(self.carried, _NOT_MADE)
            if carried is not _NOT_MADE:
                return then(carried)
        return loaded_or_later(self.loader(ctx), key, then, shared=self.shared)

    def bind(self, context: Any) -> Callable[[Any], Any]:
        """This execution's fast answer (see the class's note)."""
        ctx = self.context_of(context)
        loader = self.loader(ctx)
        peek, made, key_of, shared = loader.peek, loader.made, self.key, self.shared
        then = partial(self.then, ctx) if self.with_ctx else self.then
        carried_key, own_context = self.carried, self.own_context
        from_rows: dict[Any, Any] = {}  # answers made from carried records (see the class's note)

        def answer(source: Any) -> Any:
            try:
                if own_context is not None and getattr(source, own_context) is not None:
                    return NOT_PRELOADED
                key = key_of(source)
                if key is None:
                    return None
                if carried_key is not None:
                    carried = source.row.__dict__.get(carried_key, _NOT_MADE)
                    if carried is not _NOT_MADE:
                        if not shared:
                            return then(carried)
                        value = from_rows.get(key, _NOT_MADE)
                        if value is _NOT_MADE:
                            value = from_rows[key] = then(carried)
                        return value
                if shared:
                    value = made.get((key, then), _NOT_MADE)
                    if value is not _NOT_MADE:
                        return value
                loaded, record = peek(key)
                if not loaded:
                    return NOT_PRELOADED
                value = then(record)
                if shared:
                    made[(key, then)] = value
                return value
            except Exception:  # the resolver, called next, reports it
                return NOT_PRELOADED

        return answer


async def _later(awaitable: Any, then: Any) -> Any:
    result = then(await awaitable)
    return await result if isawaitable(result) else result


def thin_resolvers(strawberry_schema: Any) -> None:
    """Call synchronous, argument-free resolvers directly: for a field with
    no field extension (permission classes are one), no arguments and no
    parent/root parameter, Strawberry's wrapper only builds the Info and
    passes it on. Skipped entirely when the schema has exception handlers."""
    if getattr(strawberry_schema, "exception_handlers", ()):
        return
    info_class = strawberry_schema.config.info_class
    schema: GraphQLSchema = strawberry_schema._schema
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or named in (schema.subscription_type,):
            continue
        for definition in getattr(named, "fields", {}).values():
            field = (definition.extensions or {}).get(DEFINITION)
            resolver = getattr(field, "base_resolver", None)
            if resolver is None or field.extensions or type(field) is not StrawberryField:
                continue
            if (
                resolver.is_async
                or resolver.arguments
                or resolver.parent_parameter
                or resolver.root_parameter
            ):
                continue
            definition.resolve = _direct(resolver, field, info_class)


def _direct(resolver: Any, field: Any, info_class: Any) -> Any:
    function = resolver.wrapped_func
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    def resolve(source: Any, info: Any) -> Any:
        kwargs = {info_name: info_class(_raw_info=info, _field=field)} if info_name else {}
        return function(source, **kwargs) if takes_self else function(**kwargs)

    resolve.thin = True  # type: ignore[attr-defined]  # a compiled plan may call it (lean_plans.py)
    resolve.preload = getattr(function, "preload", None)  # type: ignore[attr-defined]  # see Preload
    return resolve


class FromRow:
    """A field of a row-made object (`fields_from_row`): computed from the
    object's row when first read, then kept on the object (where it shadows
    this descriptor, so later reads are plain attribute reads). A compiled
    plan (lean_plans.py) calls `make` itself for a field it shows."""

    __slots__ = ("make", "name")
    reads_row = True  # a compiled plan calls `make` itself (lean_plans.py)

    def __init__(self, name: str, make: Callable[[Any], Any]) -> None:
        self.name = name
        self.make = make

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.make(obj.__dict__["row"])
        return value


def member_from_row(enum: Any, column: str) -> Callable[[Any], Any]:
    """A row-made enum field's maker: `enum(row.<column>)`, a member found by
    one lookup in the enum's own map of values (which an Enum call checks
    first, in several Python calls); any other value is the call's."""
    members = enum._value2member_map_
    read = attrgetter(column)

    def make(row: Any) -> Any:
        value = read(row)
        try:
            return members[value]
        except (KeyError, TypeError):
            return enum(value)

    return make


def fields_from_row(cls: Any, **makers: Callable[[Any], Any]) -> Callable[..., Any]:
    """Let `cls`, a Strawberry type whose objects carry their record as
    `row`, be made lazily: `makers` says how each field without a resolver
    is computed from the row (all of them, checked here). Returns
    `make(row, **private)`: over a display `Row` each field is computed
    when first read; over anything else (an ORM instance a use case may
    still change) every field at once, the snapshot the constructor took."""
    definition = cls.__strawberry_definition__
    plain = {
        field.python_name
        for field in definition.fields
        if field.base_resolver is None and (field.python_name in makers or not is_private(field.type))
    }
    if set(makers) != plain:
        raise TypeError(
            f"{cls.__name__}: fields_from_row needs exactly {sorted(plain)}, got {sorted(makers)}"
        )
    for name, maker in makers.items():
        if getattr(cls, name, None) is not None:  # a class default would shadow nothing
            raise TypeError(f"{cls.__name__}.{name} has a default; a row-made field cannot")
        setattr(cls, name, FromRow(name, maker))
    every = tuple(makers.items())
    new = cls.__new__

    def make(row: Any, **private: Any) -> Any:
        made = new(cls)
        columns = made.__dict__
        columns["row"] = row
        if private:
            columns.update(private)
        if not isinstance(row, Row):
            for name, maker in every:
                columns[name] = maker(row)
        return made

    return make
