"""Tenancy and the sales hierarchy, decided in one place.

ADMIN sees the whole workspace; MANAGER sees records owned by members of
their own team and every team below it, and of any team they manage (and
its subtree); AGENT sees what they own. Whoever may see a deal also sees
its contact and its company (the SDR -> closer hand-off: the closer works
the lead they were given, though the SDR still owns the contact), and the
tasks about them. Developments (empreendimentos) are shared setup, and the
developer company of a live one (the construtora) is seen by everyone,
though only changed by those who may see it otherwise. Every read and
write path asks this module, so a record outside the scope behaves
exactly like a missing one:
that includes every id an input names (the subject, and the links and
anchors beside it), which `named_record` resolves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from revgraph.models.crm import Company, Contact, Segment, Task
from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.models.developments import Development
from revgraph.models.distribution import Queue, QueueMember
from revgraph.models.identity import Team, User
from revgraph.models.inbox import CannedResponse, Conversation, Inbox, Message, SlaPolicy
from revgraph.models.pipeline import ContactHandOff, Deal, Pipeline, Stage
from revgraph.resolvers import loaders
from revgraph.resolvers.bulk_insert import in_list
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import pk_of

M = TypeVar("M", bound=Model)
# Records the scope narrows by their owner.
OWNED: tuple[type[Model], ...] = (Contact, Company, Deal)
# The workspace's shared setup, which every member may read (the pipelines,
# queues, users, teams and customFieldDefinitions queries list them all).
SHARED: tuple[type[Model], ...] = (
    Pipeline,
    Stage,
    Queue,
    User,
    Team,
    Segment,
    Development,
    CustomFieldDefinition,
    Inbox,
    SlaPolicy,
    CannedResponse,
)


@dataclass(frozen=True)
class Scope:
    workspace_id: int
    # None: every owner in the workspace (ADMIN).
    owner_ids: frozenset[int] | None
    team_ids: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.owner_ids is None

    def owner_q(self, owner_field: str = "owner_id", prefix: str = "") -> Q:
        """Workspace + ownership condition for a queryset."""
        q = Q(**{f"{prefix}workspace_id": self.workspace_id})
        if self.owner_ids is not None:
            q &= Q(**{f"{prefix}{owner_field}__in": list(self.owner_ids)})
        return q

    def sees_owner(self, owner_id: int | None) -> bool:
        if self.owner_ids is None:
            return True
        return owner_id is not None and owner_id in self.owner_ids

    def sees_user(self, user_id: int | None) -> bool:
        return self.sees_owner(user_id)

    def sees_team(self, team_id: int | None) -> bool:
        return self.team_ids is None or (team_id is not None and team_id in self.team_ids)


def subtree(children: dict[int | None, list[int]], roots: set[int]) -> set[int]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        team_id = stack.pop()
        if team_id in seen:
            continue
        seen.add(team_id)
        stack.extend(children.get(team_id, ()))
    return seen


async def compute_scope(workspace_id: int, user_id: int, role: str) -> Scope:
    if role == "ADMIN":
        return Scope(workspace_id, None, None)
    if role == "AGENT":
        return Scope(workspace_id, frozenset({user_id}), frozenset())
    teams = await Team.filter(workspace_id=workspace_id).values("id", "parent_id", "manager_id")
    children: dict[int | None, list[int]] = defaultdict(list)
    roots: set[int] = set()
    for team in teams:
        children[team["parent_id"]].append(team["id"])
        if team["manager_id"] == user_id:
            roots.add(team["id"])
    own_team = await User.filter(id=user_id, workspace_id=workspace_id).values_list("team_id", flat=True)
    if own_team and own_team[0] is not None:
        roots.add(own_team[0])
    team_ids = subtree(children, roots)
    member_ids = (
        set(
            await User.filter(workspace_id=workspace_id, team_id__in=list(team_ids)).values_list(
                "id", flat=True
            )
        )
        if team_ids
        else set()
    )
    member_ids.add(user_id)
    return Scope(workspace_id, frozenset(member_ids), frozenset(team_ids))


async def team_subtree(workspace_id: int, team_id: int) -> set[int]:
    """The team and every team below it (ids)."""
    teams = await Team.filter(workspace_id=workspace_id).values("id", "parent_id")
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in teams:
        children[row["parent_id"]].append(row["id"])
    return subtree(children, {team_id})


async def tree_scoped_users(workspace_id: int) -> frozenset[int]:
    """The users whose scope is computed from the team tree (MANAGERs: an
    ADMIN sees everything, an AGENT their own): whose open websockets must
    close when the tree or its membership changes, since a subscription
    keeps the scope it started with."""
    return frozenset(
        await User.filter(workspace_id=workspace_id, role="MANAGER", active=True).values_list("id", flat=True)
    )


async def team_subtree_members(team: Team) -> Subquery:
    """The users of `team` and of every team below it (as a subquery): what
    a `teamId` argument narrows a list or a report to."""
    team_ids = await team_subtree(team.workspace_id, team.id)
    return Subquery(User.filter(workspace_id=team.workspace_id, team_id__in=sorted(team_ids)).values("id"))


def scope_key(actor: Actor) -> tuple[Any, ...]:
    """What the caller's scope is a function of, besides the team tree (whose
    changes are logged): callers with equal keys see the same records. Every
    ADMIN sees the workspace; anyone else's scope is their own."""
    if actor.role == "ADMIN":
        return (actor.workspace_id, "ADMIN")
    return (actor.workspace_id, actor.role, actor.user_id)


async def scope_of(ctx: Context) -> Scope:
    """The caller's scope, computed once per request (or websocket event)."""
    actor = ctx.require_actor()
    return await ctx.once("scope", lambda: compute_scope(actor.workspace_id, actor.user_id, actor.role))


def _deals_in(scope: Scope) -> QuerySet:
    """The live deals whose owner is in a narrowed scope."""
    return Deal.filter(
        workspace_id=scope.workspace_id, owner_id__in=list(scope.owner_ids or ()), deleted_at=None
    )


def contact_q(scope: Scope) -> Q:
    """Contacts owned in scope, and the contacts of (live) deals owned in
    scope: of those, only the ones owned outside it add anything, and
    contact_hand_off holds exactly them (one row per contact and deal owner
    who does not own it, kept by triggers: migration 0035), read through an
    index instead of every deal of the scope."""
    if scope.everything:
        return scope.owner_q()
    handed = Subquery(
        ContactHandOff.filter(
            workspace_id=scope.workspace_id, owner_id__in=list(scope.owner_ids or ())
        ).values("contact_id")
    )
    return Q(workspace_id=scope.workspace_id) & (
        Q(owner_id__in=list(scope.owner_ids or ())) | Q(id__in=handed)
    )


def _developers(workspace_id: int) -> QuerySet:
    """The developer companies of the workspace's live developments."""
    return Development.filter(workspace_id=workspace_id, archived_at=None, developer_id__isnull=False)


def company_q(scope: Scope, *, developers: bool = True) -> Q:
    """Companies owned in scope, those of deals owned in scope, named by
    the deal or by its contact, and (unless `developers` is False) the
    developers of live developments."""
    if scope.everything:
        return scope.owner_q()
    named = Subquery(_deals_in(scope).values("company_id"))
    of_contact = Subquery(_deals_in(scope).values("contact__company_id"))
    q = Q(owner_id__in=list(scope.owner_ids or ())) | Q(id__in=named) | Q(id__in=of_contact)
    if developers:
        q |= Q(id__in=Subquery(_developers(scope.workspace_id).values("developer_id")))
    return Q(workspace_id=scope.workspace_id) & q


async def check_may_change_company(ctx: Context, company: Company, field: Sequence[str]) -> None:
    """A company the caller sees only as the developer of a development (the
    construtora everyone reads) is not theirs to change: FORBIDDEN."""
    scope = await scope_of(ctx)
    if scope.everything or await Company.filter(company_q(scope, developers=False), id=company.id).exists():
        return
    raise DomainError(
        "FORBIDDEN",
        _(
            "This company is the developer of a development: only an administrator or whoever works it may change it."
        ),
        field,
    )


def task_q(scope: Scope) -> Q:
    """A task is visible when its assignee is in scope, or its contact or
    its deal is."""
    if scope.everything:
        return scope.owner_q()
    owners = list(scope.owner_ids or ())
    handed = _deals_in(scope)
    return Q(workspace_id=scope.workspace_id) & (
        Q(assignee_id__in=owners)
        | Q(contact__owner_id__in=owners)
        | Q(contact_id__in=Subquery(handed.values("contact_id")))
        | Q(deal_id__in=Subquery(handed.values("id")))
    )


def _routing_queues(scope: Scope) -> QuerySet:
    """The queues with a (not removed) member in a narrowed scope."""
    return QueueMember.filter(
        workspace_id=scope.workspace_id, user_id__in=list(scope.owner_ids or ()), removed_at=None
    )


def conversation_q(scope: Scope, prefix: str = "") -> Q:
    """ADMIN: every conversation. MANAGER and AGENT: those assigned in
    scope, and the unassigned ones of inboxes whose queue has a member in
    scope (the contract part's rule, inbox.graphql)."""
    q = Q(**{f"{prefix}workspace_id": scope.workspace_id})
    if scope.everything:
        return q
    # Subqueries, not joins: a conversation is locked (FOR UPDATE) through
    # this condition, which PostgreSQL refuses across an outer join.
    queues = _routing_queues(scope).values("queue_id")
    inboxes = Subquery(
        Inbox.filter(workspace_id=scope.workspace_id, queue_id__in=Subquery(queues)).values("id")
    )
    return q & (
        Q(**{f"{prefix}assignee_id__in": list(scope.owner_ids or ())})
        | Q(**{f"{prefix}assignee_id__isnull": True, f"{prefix}inbox_id__in": inboxes})
    )


async def queues_in_scope(ctx: Context) -> frozenset[int] | None:
    """The queue ids with a member in the caller's scope (None: all), once
    per request: whose unassigned conversations the caller sees."""
    scope = await scope_of(ctx)
    if scope.everything:
        return None

    async def compute() -> frozenset[int]:
        return frozenset(await _routing_queues(scope).values_list("queue_id", flat=True))

    return await ctx.once("scope_queues", compute)


def sees_conversation(
    scope: Scope, queues: frozenset[int] | None, assignee_id: int | None, queue_id: int | None
) -> bool:
    """`conversation_q` for one conversation: its assignee and its inbox's queue."""
    if scope.everything:
        return True
    if assignee_id is not None:
        return assignee_id in (scope.owner_ids or ())
    return queue_id is not None and queues is not None and queue_id in queues


def visible_q(scope: Scope, model: type[Model]) -> Q:
    """The rows of `model` the scope may see."""
    if model is Contact:
        return contact_q(scope)
    if model is Company:
        return company_q(scope)
    if model in OWNED:
        return scope.owner_q()
    if model is Task:
        return task_q(scope)
    if model is Conversation:
        return conversation_q(scope)
    if model is Message:
        return conversation_q(scope, "conversation__")
    if model is Queue:
        # The MANUAL queue only records hand assignments: no input names it.
        return Q(workspace_id=scope.workspace_id, kind="ROUTING")
    if model in SHARED:
        return Q(workspace_id=scope.workspace_id)
    raise TypeError(f"no visibility rule for {model.__name__}")


async def sees_contact(ctx: Context, row: Contact) -> bool:
    """Whether the caller may see a contact row reached through an edge."""
    scope = await scope_of(ctx)
    return scope.sees_owner(row.owner_id) or await _handed(ctx, scope, "contact").load(row.id)


async def sees_company(ctx: Context, row: Company) -> bool:
    """Whether the caller may see a company row reached through an edge."""
    scope = await scope_of(ctx)
    return scope.sees_owner(row.owner_id) or await _handed(ctx, scope, "company").load(row.id)


def sees_company_now(ctx: Context, row: Company) -> bool | None:
    """`sees_company` answered from what this request already holds (its
    scope, and the hand-off answers `preload_company_visibility` loaded for
    a page); None when it is not known yet and must be awaited."""
    scope = ctx.cache.get("scope")
    if scope is None:
        return None
    if scope.sees_owner(row.owner_id):
        return True
    loaded, handed = _handed(ctx, scope, "company").peek(row.id)
    return handed if loaded else None


async def preload_company_visibility(ctx: Context, rows: Iterable[Company | None]) -> None:
    """Load, in one batch, whether the caller sees each of these companies,
    so `sees_company_now` answers for all of them."""
    scope = await scope_of(ctx)
    hidden = [row.id for row in rows if row is not None and not scope.sees_owner(row.owner_id)]
    if hidden:
        await _handed(ctx, scope, "company").load_many(hidden)


def _handed(ctx: Context, scope: Scope, kind: str) -> loaders.BatchLoader:
    """Batches "does a deal owned in scope name this contact/company?" (and,
    for a company, "is it the developer of a live development?")."""

    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(ids: list[int]) -> list[bool]:
            deals = _deals_in(scope)
            if kind == "contact":
                found = set(await deals.filter(contact_id__in=ids).values_list("contact_id", flat=True))
            else:
                found = set(await deals.filter(company_id__in=ids).values_list("company_id", flat=True))
                found |= set(
                    await deals.filter(contact__company_id__in=ids).values_list(
                        "contact__company_id", flat=True
                    )
                )
                found |= set(
                    await _developers(scope.workspace_id)
                    .filter(developer_id__in=ids)
                    .values_list("developer_id", flat=True)
                )
            return [i in found for i in ids]

        return batch

    return loaders.loader(ctx, f"handed_{kind}s", factory)


def _live_q(model: type[Model]) -> Q:
    columns = model._meta.fields_map
    if "deleted_at" in columns:
        return Q(deleted_at__isnull=True)
    if "archived_at" in columns:
        return Q(archived_at__isnull=True)
    return Q()


# What a NOT_FOUND names, as people read it.
RECORD_NAMES = {
    "Company": N_("Company"),
    "Contact": N_("Contact"),
    "Conversation": N_("Conversation"),
    "CustomFieldDefinition": N_("Custom field"),
    "Deal": N_("Deal"),
    "Development": N_("Development"),
    "Inbox": N_("Inbox"),
    "Pipeline": N_("Pipeline"),
    "Queue": N_("Queue"),
    "Segment": N_("Segment"),
    "SlaPolicy": N_("SLA policy"),
    "Stage": N_("Stage"),
    "Task": N_("Task"),
    "Team": N_("Team"),
    "User": N_("User"),
}


async def named_record(
    ctx: Context,
    model: type[M],
    raw_id: str | None,
    field: Sequence[str],
    *,
    live: bool = True,
    for_update: bool = False,
    **conditions: Any,
) -> M:
    """The record an input names by global id (a subject, a link, an anchor,
    an id in a list), if the caller may see it. Anything else (a malformed
    id, another type's id, a missing row, another workspace's row, a row
    outside the caller's scope, a trashed or archived one when `live`, one
    `conditions` rule out) is the same NOT_FOUND on `field`, so no input
    tells a caller whether a record it may not see exists."""
    pk = pk_of(raw_id, model.__name__)
    row = None
    if pk is not None:
        query = model.filter(visible_q(await scope_of(ctx), model), id=pk, **conditions)
        if live:
            query = query.filter(_live_q(model))
        if for_update:
            query = query.select_for_update()
        row = await query.first()
    if row is None:
        raise not_found(model, field)
    return row


def not_found(model: type[Model], field: Sequence[str]) -> NotFound:
    """The NOT_FOUND named_record answers for a record the caller may not name."""
    return NotFound(RECORD_NAMES.get(model.__name__, model.__name__), field)


async def named_records(ctx: Context, model: type[M], raw_ids: Iterable[str | None]) -> dict[str, M]:
    """named_record (live) for many global ids at once (a batch of inputs'
    links): the records the caller may name, by their global id; one query."""
    pks = {raw: pk_of(raw, model.__name__) for raw in raw_ids if raw}
    wanted = sorted({pk for pk in pks.values() if pk is not None})
    if not wanted:
        return {}
    query = model.filter(visible_q(await scope_of(ctx), model), _live_q(model), id__in=in_list(wanted))
    rows = {row.pk: row for row in await query}
    return {raw: rows[pk] for raw, pk in pks.items() if pk in rows}
