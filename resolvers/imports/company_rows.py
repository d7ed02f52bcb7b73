"""A company row of a CSV read as createCompany/updateCompany input, and
the decision for it.

Duplicates (one rule, documented in the README): a row is the company
  1. with the same CNPJ (its 14 digits, however either was punctuated);
  2. else with the same domain (a website is read as its domain:
     "https://www.acme.com.br/contato" is acme.com.br);
  3. else, only when the row has neither CNPJ nor domain, with the same
     name (ignoring case).
A match by domain or name is no match when both sides hold a CNPJ and the
CNPJs differ (two branches, two companies). Companies have no CNPJ or
phone column: both are kept among the custom fields as `cnpj`
("12.345.678/0001-90") and `phone` (E.164), so a workspace with typed
company fields defines those two keys to import them.

Cost: each lookup uses an index: the domain's (migration 0027), the
CNPJ's and the name's (migration 0032: expression indexes on the stored
`cnpj` custom field and on the name as the case-insensitive comparison
reads it)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pypika_tortoise.terms import Criterion, Term
from tortoise.expressions import ResolveContext
from tortoise.query_utils import QueryModifier

from revgraph.models.crm import Company
from revgraph.resolvers.bulk_insert import in_list
from revgraph.resolvers.companies import create_companies, create_company, normalize_domain, update_company
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields import sql
from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.imports.cells import (
    Decision,
    ImportKind,
    Workbook,
    merged_custom,
    owner_id,
    owner_message,
    read_row,
    refusal_problems,
)
from revgraph.resolvers.validation import normalize_phone, required_text

COMPANY_FIELDS = {
    "name": N_("Legal or trade name"),
    "domain": N_("Website / domain"),
    "cnpj": N_("CNPJ"),
    "phone": N_("Phone"),
    "owner": N_("Owner"),
}
# Kept among the custom fields under these keys.
CUSTOM_KEYS = {"cnpj": "cnpj", "phone": "phone"}


def cnpj_digits(raw: str) -> str:
    """The 14 digits of a valid CNPJ (check digits verified), or INVALID."""
    digits = re.sub(r"[.\-/\s]", "", raw)
    if not re.fullmatch(r"[0-9]{14}", digits) or len(set(digits)) == 1:
        raise DomainError("INVALID", _("Not a CNPJ."), ["cnpj"])
    numbers = [int(d) for d in digits]
    for size in (12, 13):
        weights = list(range(size - 7, 1, -1)) + list(range(9, 1, -1))
        total = sum(n * w for n, w in zip(numbers[:size], weights, strict=True))
        check = 0 if total % 11 < 2 else 11 - total % 11
        if numbers[size] != check:
            raise DomainError("INVALID", _("Wrong CNPJ check digits."), ["cnpj"])
    return digits


def cnpj_text(digits: str) -> str:
    return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"


def name_key(name: str) -> str:
    return name.strip().casefold()


def file_keys(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The keys a row leaves for later rows of the file, and those it looks
    for among earlier rows: the rule above, in the file. A row with a CNPJ
    meets an earlier row by domain only if that row had no CNPJ (another
    CNPJ is another company; the same one met it by CNPJ already)."""
    leaves, looks = [], []
    cnpj, domain = data.get("cnpj"), data.get("domain")
    if cnpj:
        leaves.append(f"cnpj:{cnpj}")
        looks.append(f"cnpj:{cnpj}")
    if domain:
        leaves.append(f"domain:{domain}")
        if not cnpj:
            leaves.append(f"domain-without-cnpj:{domain}")
        looks.append(f"domain-without-cnpj:{domain}" if cnpj else f"domain:{domain}")
    if data.get("name"):
        leaves.append(f"name:{name_key(data['name'])}")
        if not cnpj and not domain:
            looks.append(f"name:{name_key(data['name'])}")
    return leaves, looks


def _stored_cnpj(company: Company) -> str | None:
    value = (company.custom_fields or {}).get("cnpj")
    if not isinstance(value, str):
        return None
    try:
        return cnpj_digits(value)
    except DomainError:
        return None


async def matching_company(workspace_id: int, data: Mapping[str, Any]) -> Company | None:
    """The live company a row (or a deal's company cell) names, by the
    module's rule."""
    return pick_company(data, await company_candidates(workspace_id, [data]))


async def company_candidates(workspace_id: int, rows: Sequence[Mapping[str, Any]]) -> Candidates:
    """The live companies any of `rows` may name, with at most one query
    per key (CNPJ, domain, name) for them all, each read through its index;
    pick_company chooses among them by the module's rule."""
    live = Company.filter(workspace_id=workspace_id, deleted_at=None)
    forms = sorted(
        {form for row in rows if row.get("cnpj") for form in (row["cnpj"], cnpj_text(row["cnpj"]))}
    )
    domains = sorted({row["domain"] for row in rows if row.get("domain")})
    names = sorted(
        {
            row["name"].strip()
            for row in rows
            if row.get("name") and not row.get("cnpj") and not row.get("domain")
        }
    )
    found = Candidates()
    if forms:
        padded = in_list(forms)
        found.by_cnpj = list(
            await live.filter(sql.SqlQ(lambda column, dialect: _cnpj_in(column, dialect, padded))).order_by(
                "id"
            )
        )
    if domains:
        found.by_domain = list(await live.filter(domain__in=in_list(domains)).order_by("id"))
    if names:
        padded_names = in_list(names)
        found.by_name = list(await live.filter(_NameIn(padded_names)).order_by("id"))
    return found


class Candidates:
    """What company_candidates found, by the key that found it."""

    def __init__(self) -> None:
        self.by_cnpj: list[Company] = []
        self.by_domain: list[Company] = []
        self.by_name: list[Company] = []


def pick_company(data: Mapping[str, Any], found: Candidates) -> Company | None:
    """The module's rule over candidates in id order: same CNPJ (stored as
    text), else same domain, else (neither given) same name ignoring case;
    a domain or name match holding another CNPJ is no match."""
    cnpj = data.get("cnpj")
    if cnpj:
        forms = (cnpj, cnpj_text(cnpj))
        for company in found.by_cnpj:
            stored = (company.custom_fields or {}).get("cnpj")
            # Stored as text (a number under the key is no CNPJ of ours).
            if isinstance(stored, str) and stored in forms:
                return company

    def compatible(company: Company) -> bool:
        stored = _stored_cnpj(company)
        return not (cnpj and stored and stored != cnpj)

    if data.get("domain"):
        for company in found.by_domain:
            if company.domain == data["domain"] and compatible(company):
                return company
        return None
    if not cnpj and data.get("name"):
        wanted = name_key(data["name"])
        for company in found.by_name:
            if name_key(company.name) == wanted and compatible(company):
                return company
    return None


def _cnpj_in(column: Term, dialect: str, forms: list[str]) -> Criterion:
    """custom_fields.cnpj is one of `forms`, written as the expression index
    ix_company_cnpj (migration 0032) is built on, so the lookup uses it."""
    value = "json_extract({}, '$.cnpj')" if dialect == "sqlite" else "({} ->> 'cnpj')"
    return sql.Sql(value + " IN (" + ", ".join(["{}"] * len(forms)) + ")", column, *forms)


class _NameIn(sql.SqlQ):
    """The name is one of `names` as `name__iexact` compares (upper case of
    the text on both sides), written as the expression index
    ix_company_name_ci (migration 0032) is built on."""

    __slots__ = ("names",)

    def __init__(self, names: list[str]) -> None:
        super().__init__(lambda column, dialect: column)
        self.names = names

    def resolve(self, resolve_context: ResolveContext) -> QueryModifier:
        column = resolve_context.table["name"]
        marks = ", ".join(["UPPER({})"] * len(self.names))
        return QueryModifier(
            where_criterion=sql.Sql(f"UPPER(CAST({{}} AS VARCHAR)) IN ({marks})", column, *self.names)
        )


class CompanyImport(ImportKind):
    entity = "COMPANY"
    fields = COMPANY_FIELDS

    def read_field(self, book: Workbook, data: dict[str, Any], target: str, raw: str) -> None:
        if target == "name":
            data["name"] = required_text(raw, ["name"])
        elif target == "domain":
            data["domain"] = normalize_domain(raw)
        elif target == "cnpj":
            data["cnpj"] = cnpj_digits(raw)
        elif target == "phone":
            data["phone"] = normalize_phone(raw, ["phone"])
        elif target == "owner":
            data["owner_id"] = owner_id(book, raw)

    def message(self, target: str, raw: str, error: DomainError) -> str:
        if target == "name":
            if not raw:
                return _("Blank name.")
            return _("Invalid name (up to 200 characters, one line): {raw!r}.", raw=raw)
        if target == "domain":
            return _("Invalid website: {raw!r} (e.g. acme.com.br or https://www.acme.com.br).", raw=raw)
        if target == "cnpj":
            return _(
                "Invalid CNPJ: {raw!r} (14 digits with the check digits, e.g. 11.222.333/0001-81).", raw=raw
            )
        if target == "phone":
            return _("Invalid phone: {raw!r} (include the area code, e.g. 11 3456-7890).", raw=raw)
        if target == "owner":
            return owner_message(raw)
        return super().message(target, raw, error)

    def mapping_problems(self, book: Workbook, used: Mapping[str, str]) -> list[Problem]:
        live = {d.key for d in book.definitions if d.archived_at is None}
        return [
            Problem(
                "INVALID",
                _(
                    "Companies keep {target} as the custom field {key!r}: define it (TEXT) before importing it.",
                    target=target,
                    key=key,
                ),
                ["input", "columns"],
            )
            for target, key in CUSTOM_KEYS.items()
            if target in used and book.definitions and key not in live
        ]

    def _read(self, book: Workbook, cells: Sequence[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        def kept_as_custom(data: dict[str, Any]) -> dict[str, Any]:
            out = {}
            if data.get("cnpj"):
                out[CUSTOM_KEYS["cnpj"]] = cnpj_text(data["cnpj"])
            if data.get("phone"):
                out[CUSTOM_KEYS["phone"]] = data["phone"]
            return out

        return read_row(self, book, cells, extra_custom=kept_as_custom)

    async def decide(self, book: Workbook, cells: Sequence[str], policy: str) -> Decision:
        (decision,) = await self.decide_batch(book, [cells], policy)
        return decision

    async def decide_batch(
        self, book: Workbook, rows: Sequence[Sequence[str]], policy: str
    ) -> list[Decision]:
        """`decide` for a batch: the companies its rows may name looked up
        together (company_candidates), each row matched by the module's rule."""
        read = [self._read(book, cells) for cells in rows]
        found = await company_candidates(book.workspace_id, [data for data, problems in read if not problems])
        return [
            Decision("error", problems=problems)
            if problems
            else _decision(data, pick_company(data, found), policy)
            for data, problems in read
        ]

    async def create_many(
        self, ctx: Context, book: Workbook, decisions: Sequence[Decision]
    ) -> list[list[dict[str, Any]] | None]:
        """create_companies: createCompany's own checks, one INSERT for them
        and one for their events."""
        created = await create_companies(ctx, [decision.changes for decision in decisions])
        return [refusal_problems(self, r) if isinstance(r, DomainError) else None for r in created]

    def keys_written(self, decision: Decision) -> Iterable[str]:
        """A created company's keys; an updated one's before and after (an
        update changes which later rows meet it)."""
        if decision.action == "create":
            return decision.keys
        if decision.action == "update":
            return [*_record_keys(decision.record, {}), *_record_keys(decision.record, decision.changes)]
        return ()

    async def apply(self, ctx: Context, book: Workbook, decision: Decision) -> None:
        if decision.action == "create":
            await create_company(ctx, decision.changes)
        elif decision.action == "update":
            await update_company(ctx, encode_id("Company", decision.record.id), decision.changes)


def _decision(data: dict[str, Any], found: Company | None, policy: str) -> Decision:
    keys, looks = file_keys(data)
    changes = {k: v for k, v in data.items() if k not in ("cnpj", "phone")}
    if found is None:
        return Decision("create", changes=changes, keys=keys, match_keys=looks)
    if policy == "SKIP":
        return Decision("skip", record=found, keys=keys, match_keys=looks)
    update = _changes(found, changes, overwrite=policy == "OVERWRITE")
    return Decision("update" if update else "skip", changes=update, record=found, keys=keys, match_keys=looks)


def _record_keys(company: Company, changes: Mapping[str, Any]) -> list[str]:
    """The keys a stored company is found by (with `changes` applied): an
    update changes which later rows of the batch meet it."""
    custom = changes.get("custom_fields", company.custom_fields) or {}
    cnpj = custom.get("cnpj") if isinstance(custom.get("cnpj"), str) else None
    try:
        digits = cnpj_digits(cnpj) if cnpj else None
    except DomainError:
        digits = None
    leaves, _looks = file_keys(
        {
            "cnpj": digits,
            "domain": changes.get("domain", company.domain),
            "name": changes.get("name", company.name),
        }
    )
    return leaves


def _changes(company: Company, data: Mapping[str, Any], *, overwrite: bool) -> dict[str, Any]:
    """updateCompany's input: the row's values where the company differs
    (OVERWRITE) or holds nothing yet (UPDATE_EMPTY)."""
    current = {
        "name": company.name,
        "domain": company.domain,
        "owner_id": encode_id("User", company.owner_id) if company.owner_id else None,
    }
    changes = {
        key: value
        for key, value in data.items()
        if key in current and current[key] != value and (overwrite or not current[key])
    }
    custom = merged_custom(company.custom_fields, data.get("custom_fields"), overwrite=overwrite)
    if custom is not None:
        changes["custom_fields"] = custom
    return changes
