"""What every kind of import (contacts, companies, deals) shares when it
reads a row: the run's Workbook (definitions, owners, the mapped columns),
the Decision a row leads to, the reading loop (mapped cells → the use
case's input, custom fields checked against the definitions), the pt-BR
formats of money and dates (`1.250.000,00`, `31/12/2026`), and the
ImportKind each entity implements. Problems read in the importer's
language (the runner speaks it): the error report is for the people who
fix the spreadsheet."""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.models.identity import User
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.values import apply_definitions, definitions_for
from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.settings import Limits
from revgraph.resolvers.validation import custom_fields_object

POLICIES = ("SKIP", "UPDATE_EMPTY", "OVERWRITE")
CUSTOM = "customFields."
TYPE_HINTS = {
    "NUMBER": N_("a whole number, e.g. 3"),
    "DECIMAL": N_("a decimal number, e.g. 1,250,000.00"),
    "DATE": N_("a date, e.g. 12/31/2026"),
    "BOOLEAN": N_("yes or no"),
    "TEXT": N_("text of up to 2000 characters"),
}
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# 1.250.000,00 / 1250000,00 / 1.250 (thousands) / 1250.50 (the API's own form)
_GROUPED = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?")
_COMMA = re.compile(r"[0-9]+(,[0-9]+)?")
_POINT = re.compile(r"[0-9]+(\.[0-9]+)?")
_BR_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class Workbook:
    """What reading a job's rows needs, loaded once per run."""

    workspace_id: int
    limits: Limits
    entity: str
    definitions: list[CustomFieldDefinition]
    owners: dict[str, int]  # active users' e-mail (lower case) → id
    columns: list[tuple[int, str, str]]  # (index, column header, field)
    # What a kind looks names up in (a deal import's pipelines and stages).
    lookups: dict[str, Any] = field(default_factory=dict)


@dataclass
class Decision:
    """What the import does with one row. `action` is create, update, skip
    or error; `changes` is the create or update use case's input; `record`
    the duplicate it updates or skips; `keys` the row's duplicate keys (in
    the file: those it leaves for later rows; `match_keys`, when they
    differ, those it looks for among earlier rows)."""

    action: str
    changes: dict[str, Any] = field(default_factory=dict)
    record: Any = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    match_keys: list[str] | None = None
    # An error that a duplicate earlier in the file overrides: the import
    # meets the record that row writes instead (a deal's gate refusal,
    # when an earlier row opens the deal of its external id).
    unless_duplicate: bool = False

    @property
    def looks_for(self) -> list[str]:
        return self.keys if self.match_keys is None else self.match_keys


class RowRefused(Exception):
    """A use case refused a row; `problems` already read as row problems
    (a stage gate's, with the stage's name)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(problems)
        self.problems = problems


class ImportKind(abc.ABC):
    """One entity's import: its fields, how a cell fills one, the keys its
    duplicates are found by, the decision for a row and how it is written
    (through the API's own use cases)."""

    entity = ""
    fields: dict[str, Any] = {}  # field → its label (a Message)
    required: tuple[str, ...] = ("name",)

    async def prepare(self, book: Workbook) -> None:
        """Load what read_field looks names up in (once per run); most kinds need nothing."""
        return None

    @abc.abstractmethod
    def read_field(self, book: Workbook, data: dict[str, Any], target: str, raw: str) -> None:
        """Fill `data[target]` (or a nested key) from a cell's text; bad text raises DomainError."""

    def message(self, target: str, raw: str, error: DomainError) -> str:
        return _("Invalid {label}: {raw!r}.", label=self.fields.get(target, target), raw=raw)

    def mapping_problems(self, book: Workbook, used: Mapping[str, str]) -> list[Problem]:
        """Kind-specific reasons a mapping cannot be used."""
        return []

    @abc.abstractmethod
    async def decide(self, book: Workbook, cells: Sequence[str], policy: str) -> Decision:
        """What to do with one row (create, update, skip or error) under the duplicate policy."""

    @abc.abstractmethod
    async def apply(self, ctx: Context, book: Workbook, decision: Decision) -> None:
        """Write a decided row through the API's own use cases."""

    async def decide_batch(
        self, book: Workbook, rows: Sequence[Sequence[str]], policy: str
    ) -> list[Decision]:
        """The decisions for a batch in which nothing is written between
        rows (the dry run): a kind may look its duplicates up once per batch
        instead of once per row. Same answers as `decide` row by row."""
        return [await self.decide(book, cells, policy) for cells in rows]

    async def import_batch(
        self, ctx: Context, book: Workbook, rows: Sequence[Sequence[str]], policy: str
    ) -> list[tuple[Decision, str, list[dict[str, Any]]]]:
        """Import a batch's rows (inside the batch's transaction); per row its
        decision, the action taken (create, update, skip or error) and the
        problems. The outcome is the row-by-row one, in fewer statements:
        the batch is decided at once (`decide_batch`), and a row looking
        for a key an earlier row of the batch wrote (`keys_written`) is
        decided again after that write; consecutive creations are written
        together (`create_many`), and updates go through the kind's use
        case in row order, after the creations before them."""
        decisions = await self.decide_batch(book, rows, policy)
        out: list[tuple[Decision, str, list[dict[str, Any]]] | None] = [None] * len(rows)
        waiting: list[int] = []  # rows to create, not written yet
        written: set[str] = set()  # the keys the rows so far wrote

        async def create_waiting() -> None:
            if not waiting:
                return
            refused = await self.create_many(ctx, book, [decisions[i] for i in waiting])
            for i, problems in zip(waiting, refused, strict=True):
                out[i] = (
                    (decisions[i], "create", []) if problems is None else (decisions[i], "error", problems)
                )
            waiting.clear()

        for i, cells in enumerate(rows):
            decision = decisions[i]
            if written.intersection(decision.looks_for):
                await create_waiting()
                decision = decisions[i] = await self.decide(book, cells, policy)
            if decision.action == "create":
                waiting.append(i)
            elif decision.action == "update":
                await create_waiting()
                out[i] = (decision, *await apply_row(ctx, self, book, decision))
            else:
                out[i] = (decision, decision.action, decision.problems)
            written.update(self.keys_written(decision))
        await create_waiting()
        return [o for o in out if o is not None]

    async def create_many(
        self, ctx: Context, book: Workbook, decisions: Sequence[Decision]
    ) -> list[list[dict[str, Any]] | None]:
        """Create these rows' records, in order; per row None when created,
        else the problems of the use case's refusal. A kind may write them
        in fewer statements with the same outcome."""
        out: list[list[dict[str, Any]] | None] = []
        for decision in decisions:
            action, problems = await apply_row(ctx, self, book, decision)
            out.append(None if action == "create" else problems)
        return out

    def keys_written(self, decision: Decision) -> Iterable[str]:
        """The keys later rows of the file meet once this row is written."""
        return decision.keys if decision.action in ("create", "update") else ()


async def apply_row(
    ctx: Context, kind: ImportKind, book: Workbook, decision: Decision
) -> tuple[str, list[dict[str, Any]]]:
    """Write one decided row through the kind's use case: the action taken
    and, when the use case refused it, the row's problems."""
    if decision.action == "error":
        return "error", decision.problems
    try:
        await kind.apply(ctx, book, decision)
    except RowRefused as refused:
        return "error", refused.problems
    except DomainError as error:
        return "error", refusal_problems(kind, error)
    return decision.action, []


def refusal_problems(kind: ImportKind, error: DomainError) -> list[dict[str, Any]]:
    """A use case's DomainError as the row's problems."""
    return [use_case_problem(kind, p.code, (p.field or ["?"])[-1], p.message, p.rule) for p in error.problems]


async def workbook(
    kind: ImportKind, workspace_id: int, limits: Limits, header: Sequence[str], mapping: Mapping[str, str]
) -> Workbook:
    users = await User.filter(workspace_id=workspace_id, active=True).values_list("email", "id")
    index = {column: i for i, column in enumerate(header)}
    columns = [(index[column], column, target) for column, target in mapping.items() if column in index]
    book = Workbook(
        workspace_id,
        limits,
        kind.entity,
        await definitions_for(workspace_id, kind.entity),
        {str(email).lower(): int(pk) for email, pk in users},
        columns,
    )
    await kind.prepare(book)
    return book


def mapping_problems(
    kind: ImportKind, book: Workbook, mapping: Mapping[str, str], header: Sequence[str]
) -> list[Problem]:
    """Why a column mapping cannot be used (as userErrors on `columns.<i>`)."""
    problems: list[Problem] = []
    live = {d.key for d in book.definitions if d.archived_at is None}
    used: dict[str, str] = {}
    noun = {"CONTACT": N_("contacts"), "COMPANY": N_("companies"), "DEAL": N_("deals")}[kind.entity]
    for i, (column, target) in enumerate(mapping.items()):
        path = ["input", "columns", str(i)]
        if column not in header:
            problems.append(
                Problem("INVALID", _("The file has no column {column!r}.", column=column), [*path, "column"])
            )
        if target.startswith(CUSTOM):
            if target[len(CUSTOM) :] not in live:
                problems.append(
                    Problem(
                        "INVALID",
                        _("No live custom field {key!r} for {noun}.", key=target[len(CUSTOM) :], noun=noun),
                        [*path, "field"],
                    )
                )
        elif target not in kind.fields:
            known = ", ".join([*kind.fields, "customFields.<key>"])
            problems.append(
                Problem(
                    "INVALID",
                    _("Unknown field {target!r}: use {known}.", target=target, known=known),
                    [*path, "field"],
                )
            )
        if target in used:
            problems.append(
                Problem(
                    "INVALID",
                    _("{target} is already filled from column {used!r}.", target=target, used=used[target]),
                    [*path, "field"],
                )
            )
        used[target] = column
    if problems:
        return problems
    for needed in kind.required:
        if needed not in used:
            problems.append(
                Problem("INVALID", _("Map a column to {field}.", field=needed), ["input", "columns"])
            )
    return problems + kind.mapping_problems(book, used)


def problem(
    code: str, target: str, column: str | None, message: str, rule: str | None = None
) -> dict[str, Any]:
    """A row problem; `rule` names the rule that refused (UserError.rule), if any."""
    found = {"code": code, "field": target, "column": column, "message": message}
    if rule:
        found["rule"] = rule
    return found


def read_row(
    kind: ImportKind,
    book: Workbook,
    cells: Sequence[str],
    *,
    extra_custom: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The row as the create use case's input (only mapped, non-blank
    cells; custom fields checked as creating a record would), and its
    problems. `extra_custom` moves fields a kind keeps among the custom
    fields (a company's CNPJ) before they are checked."""
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    custom_columns: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    for index, column, target in book.columns:
        raw = cells[index].strip() if index < len(cells) else ""
        if target.startswith(CUSTOM):
            if raw:
                custom[target[len(CUSTOM) :]] = raw
                custom_columns[target[len(CUSTOM) :]] = column
            continue
        if not raw and target not in kind.required:
            continue
        try:
            kind.read_field(book, data, target, raw)
        except DomainError as error:
            problems.append(problem(error.problems[0].code, target, column, kind.message(target, raw, error)))
    if extra_custom is not None:
        for key, value in extra_custom(data).items():
            custom[key] = value
            custom_columns.setdefault(key, next((c for _, c, t in book.columns if t == key), key))
    if custom or book.definitions:
        try:
            data["custom_fields"] = (
                apply_definitions(
                    book.definitions,
                    kind.entity,
                    custom_fields_object(custom, [], book.limits),
                    [],
                    creating=True,
                )
                if book.definitions
                else custom_fields_object(custom, [], book.limits)
            )
        except DomainError as error:
            by_key = {d.key: d for d in book.definitions}
            for bad in error.problems:
                key = (bad.field or ["?"])[-1]
                problems.append(
                    problem(
                        bad.code,
                        CUSTOM + key,
                        custom_columns.get(key),
                        custom_message(by_key.get(key), key, custom.get(key), bad),
                    )
                )
    return data, problems


def custom_message(definition: CustomFieldDefinition | None, key: str, raw: Any, bad: Problem) -> str:
    if definition is None:
        return _("The custom field {key!r} does not exist.", key=key)
    if bad.code == "REQUIRED_FIELD_MISSING":
        return _("{label} is required and is blank.", label=definition.label)
    if definition.type in ("SELECT", "MULTI_SELECT"):
        labels = ", ".join(str(o["label"]) for o in definition.options or ())
        return _(
            "{label}: {raw!r} is not an option (use: {labels}).",
            label=definition.label,
            raw=raw,
            labels=labels,
        )
    hint = TYPE_HINTS.get(definition.type, N_("a valid value"))
    return _("{label}: {raw!r} is not valid (expected {hint}).", label=definition.label, raw=raw, hint=hint)


def owner_id(book: Workbook, raw: str, field: str = "owner") -> str:
    """An active user of the workspace named by e-mail, as a global id."""
    owner = book.owners.get(raw.lower())
    if owner is None:
        raise DomainError("NOT_FOUND", _("Unknown owner."), [field])
    return encode_id("User", owner)


def owner_message(raw: str) -> str:
    return _("Unknown owner: {raw!r} (use the e-mail of an active user of the workspace).", raw=raw)


def brl_amount(raw: str, field: str) -> Decimal:
    """Money as Brazilian spreadsheets write it: `1.250.000,00`,
    `1250000,00`, `R$ 1.250` (dots group thousands), or the API's
    `1250000.00`; at most 2 decimal places, not negative."""
    text = raw.replace("R$", "").replace(" ", "").replace("\u00a0", "")
    if _GROUPED.fullmatch(text) or _COMMA.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif not _POINT.fullmatch(text):
        raise DomainError("INVALID", _("Not an amount."), [field])
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError("INVALID", _("Not an amount."), [field]) from exc
    if value != value.quantize(Decimal("0.01")):
        raise DomainError("INVALID", _("At most 2 decimal places."), [field])
    return value.quantize(Decimal("0.01"))


def br_date(raw: str, field: str) -> datetime:
    """A day as `31/12/2026` (or `2026-12-31`), as the start of that day in
    America/Sao_Paulo."""
    try:
        brazilian = _BR_DATE.fullmatch(raw)
        if brazilian:
            day, month, year = (int(part) for part in brazilian.groups())
            when = date(year, month, day)
        elif _ISO_DATE.fullmatch(raw):
            when = date.fromisoformat(raw)
        else:
            raise ValueError(raw)
    except ValueError as exc:
        raise DomainError("INVALID", _("Not a date."), [field]) from exc
    return datetime(when.year, when.month, when.day, tzinfo=SAO_PAULO)


def use_case_problem(
    kind: ImportKind, code: str, field: str, message: str, rule: str | None = None
) -> dict[str, Any]:
    """A refusal of the create/update use case (what changed since the row
    was read, a rule of the record, a stage gate) as a row problem in the
    importer's language,
    keeping the API's message."""
    name = field.removesuffix("Id")
    label = kind.fields.get(name, field)
    if code == "DUPLICATE":
        text = _("{label} already belongs to another record.", label=label)
    elif code in ("NOT_FOUND", "FORBIDDEN") and field == "ownerId":
        text = _("The owner cannot receive this record.")
    else:
        text = _("Refused ({label}): {message}", label=label, message=message)
    return problem(code, name, None, text, rule)


def merged_custom(stored: Any, new: Any, *, overwrite: bool) -> dict[str, Any] | None:
    """The record's custom fields with the row's (over them when
    `overwrite`, else only where it has none), or None when that changes
    nothing."""
    before = dict(stored or {})
    row = new or {}
    merged = {**before, **row} if overwrite else {**row, **before}
    return merged if merged != before else None


# Keys of an update's input that are not fields of their own.
_NOT_FIELDS = ("currency",)


def changed_fields(record: Any, changes: Mapping[str, Any]) -> list[str]:
    """The fields an update's input (`changes`, as a kind's decision holds
    it) changes on `record`, as the API names them (owner_id is owner,
    lifecycle_stage lifecycleStage, and the custom fields it adds or
    changes are customFields.<key> each), sorted: the input's order follows
    the stored mapping's, which the backends keep differently."""
    out: list[str] = []
    for key, value in changes.items():
        if key in _NOT_FIELDS:
            continue
        if key == "custom_fields":
            before = dict(getattr(record, "custom_fields", None) or {})
            out += [CUSTOM + k for k in sorted(value or {}) if k not in before or before[k] != value[k]]
            continue
        head, *rest = key.removesuffix("_id").split("_")
        out.append(head + "".join(part.title() for part in rest))
    return sorted(out)
