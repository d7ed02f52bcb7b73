"""Statement texts kept per shape (resolvers/statement_cache.py): a kept
text is only ever served to a query of the same shape, always with the
request's own values, and the hot lists do reuse their texts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count

from revgraph.models.crm import Contact
from revgraph.models.imports import ImportJob
from revgraph.models.inbox import Conversation
from revgraph.models.pipeline import ContactHandOff, Deal
from revgraph.resolvers import statement_cache
from revgraph.resolvers.read_rows import _statement, row_class, statement_of
from tests.graph.documents import create_contact


def _handed(workspace_id: int, owners: list[int]) -> Subquery:
    return Subquery(
        ContactHandOff.filter(workspace_id=workspace_id, owner_id__in=owners).values("contact_id")
    )


def _cases():
    """Queries that differ in one part of their shape each (the pairs of
    values in `_also` share a shape)."""
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    live = Contact.filter(workspace_id=1, deleted_at=None)
    return [
        # filters: which column, which operator, null tests, negation, and/or
        Contact.filter(workspace_id=1),
        Contact.filter(workspace_id=1, owner_id=2),
        Contact.filter(workspace_id=1, company_id=2),
        Contact.filter(workspace_id=1, score__gt=2),
        Contact.filter(workspace_id=1, score__gte=2),
        Contact.filter(workspace_id=1).exclude(owner_id=2),
        Contact.filter(Q(workspace_id=1) | Q(owner_id=2)),
        live,
        Contact.filter(workspace_id=1, deleted_at__isnull=False),
        Contact.filter(workspace_id=1, name_search__contains="ana"),
        # visibility scopes: everything, one owner, two owners, with hand-offs
        Contact.filter(workspace_id=1, owner_id__in=[2]),
        Contact.filter(workspace_id=1, owner_id__in=[2, 3]),
        Contact.filter(Q(workspace_id=1) & (Q(owner_id__in=[2]) | Q(id__in=_handed(1, [2])))),
        Contact.filter(Q(workspace_id=1) & (Q(owner_id__in=[2, 3]) | Q(id__in=_handed(1, [2, 3])))),
        # keyset: direction and the cursor's condition, page size
        live.order_by("-created_at", "-id").limit(11),
        live.order_by("created_at", "id").limit(11),
        live.order_by("-created_at", "-id").limit(51),
        live.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=5)).order_by("-created_at", "-id"),
        live.filter(Q(created_at__gt=when) | Q(created_at=when, id__gt=5)).order_by("created_at", "id"),
        # the folded total (selected: `_TOTAL`), and a decimal
        live.annotate(rg_total_rows=Subquery(live.annotate(n=Count("id")).values("n"))),
        Deal.filter(workspace_id=1, value__gt=Decimal("10.5")),
        # what the walk does not know is built every time
        Contact.filter(workspace_id=1, score__gt=F("number")),
    ]


def _read(query):
    """How read_rows reads `query`: with the folded total when it has one."""
    return {"extra": ("rg_total_rows",)} if "rg_total_rows" in query._annotations else {}


def _orm(query, **read):
    """What the ORM alone makes of `query` (no cache)."""
    among = read.get("among")
    return _statement(
        query,
        row_class(query.model),
        read.get("extra", ()),
        read.get("only"),
        None if among is None else among[0],
        None if among is None else among[1],
    )


async def test_a_kept_statement_is_served_only_to_its_own_shape(workspace):
    # given every case's statement kept (each read twice)
    statement_cache.clear()
    for _ in range(2):
        for query in _cases():
            statement_of(query, **_read(query))
    # when each is read again, after all the others were kept
    for query in _cases():
        # then it gets exactly what the ORM builds for it, text and values
        assert statement_of(query, **_read(query)) == _orm(query, **_read(query))
    # and the texts did come from the cache, but for the F expression's
    # (on each of its 3 reads)
    assert statement_cache.counts["hit"] == 2 * (len(_cases()) - 1)
    assert statement_cache.counts["unshaped"] == 3


async def test_a_kept_statement_binds_the_requests_own_values(workspace):
    # given a visibility scope's statement kept for one workspace and its owners
    def scoped(workspace_id, owners, name):
        return Contact.filter(
            Q(workspace_id=workspace_id) & (Q(owner_id__in=owners) | Q(id__in=_handed(workspace_id, owners))),
            name_search__contains=name,
        ).limit(51)

    statement_cache.clear()
    first = statement_of(scoped(1, [2, 3], "ana"))
    # when another workspace's caller with other owners reads the same
    # shape, searching for what a LIKE pattern must escape
    second = statement_of(scoped(7, [8, 9], "50%_o\\ff"))
    # then the text is the same and every value is the second caller's
    assert statement_cache.counts["hit"] == 1
    assert second == _orm(scoped(7, [8, 9], "50%_o\\ff"))
    assert first[0] == second[0]
    assert not {1, 2, 3} & set(second[1])
    assert "%50\\%\\_o\\\\ff%" in second[1]


async def test_a_loaders_batch_is_one_value_of_the_shape(workspace):
    # given a loader's statement kept for a batch of 3 ids
    statement_cache.clear()
    statement_of(Contact.filter(workspace_id=1), among=("id", [1, 2, 3]))
    # when a batch of another size is read
    query = Contact.filter(workspace_id=4)
    read = statement_of(query, among=("id", [5, 6]))
    # then the text is reused with the new batch and workspace
    assert statement_cache.counts["hit"] == 1
    assert read == _orm(query, among=("id", [5, 6]))
    # and a batch on another column is another shape
    other = Contact.filter(workspace_id=4)
    assert statement_of(other, among=("owner_id", [5, 6])) == _orm(other, among=("owner_id", [5, 6]))
    assert statement_cache.counts["hit"] == 1


async def test_the_selected_columns_are_part_of_the_shape(workspace):
    statement_cache.clear()
    query = Contact.filter(workspace_id=1)
    every = statement_of(query)
    some = statement_of(query, only=("name",))
    counted = statement_of(query.annotate(n=Count("id")), extra=("n",))
    assert some == _orm(query, only=("name",)) and some[0] != every[0]
    assert counted == _orm(query.annotate(n=Count("id")), extra=("n",))
    assert statement_cache.counts["hit"] == 0


async def test_the_hot_lists_reuse_their_statements(gql, workspace):
    # given a few contacts, the first page and the page after a cursor read once
    for index in range(3):
        await create_contact(gql, workspace.token, name=f"Cliente {index}")
    page = "query($after: String) { contacts(first: 2, after: $after) { totalCount edges { cursor node { id } } } }"
    first = (await gql.ok(page, token=workspace.token))["contacts"]
    after = first["edges"][-1]["cursor"]
    await gql.ok(page, {"after": after}, token=workspace.token)
    # when both are read again
    statement_cache.clear()
    await gql.ok(page, token=workspace.token)
    await gql.ok(page, {"after": after}, token=workspace.token)
    before = dict(statement_cache.counts)
    again = (await gql.ok(page, token=workspace.token))["contacts"]
    rest = (await gql.ok(page, {"after": after}, token=workspace.token))["contacts"]
    # then every statement of theirs came from the cache, and the answers are right
    assert statement_cache.counts["miss"] == before["miss"]
    assert statement_cache.counts["unshaped"] == before["unshaped"]
    assert statement_cache.counts["hit"] > before["hit"]
    assert again == first
    assert len(rest["edges"]) == 1 and rest["totalCount"] == 3


async def test_a_shape_whose_probes_the_orm_refuses_is_built_every_time(workspace):
    # given a filter on a one-character column (no probe fits it) and a short one (probes fit)
    statement_cache.clear()
    narrow = ImportJob.filter(workspace_id=1, delimiter=";")
    short = Conversation.filter(workspace_id=1, status="OPEN", sla_state="BREACHED")
    # when each is read twice
    for _ in range(2):
        narrow_read = statement_of(narrow)
        short_read = statement_of(short)
    # then both answer what the ORM builds; only the short one was kept
    assert narrow_read == _orm(narrow)
    assert short_read == _orm(short)
    assert statement_cache.counts == {"hit": 1, "miss": 2, "unshaped": 1}
