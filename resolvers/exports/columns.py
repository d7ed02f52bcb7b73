"""The columns of each exported list: a pt-BR header and how a row's value
is read, then one column per custom field (campo adicional) of the entity.
Names of linked records (owner, company, stage...) are read once per page,
a query per kind of link, and a linked contact, company or deal shows only
when the caller may see it — as the API's `Task.contact` is null then."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.models import Model

from revgraph.models.crm import Company, Contact, ContactTag
from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.models.developments import Development
from revgraph.models.identity import User
from revgraph.models.inbox import Inbox
from revgraph.models.pipeline import Deal, Pipeline, Stage
from revgraph.resolvers.context import Context
from revgraph.resolvers.visibility import scope_of, visible_q

LIFECYCLE = {
    "LEAD": "Lead",
    "MQL": "MQL",
    "SQL": "SQL",
    "OPPORTUNITY": "Oportunidade",
    "CUSTOMER": "Cliente",
    "DISQUALIFIED": "Desqualificado",
}
DEAL_STATUS = {"OPEN": "Em andamento", "WON": "Ganho", "LOST": "Perdido"}
# As the inbox screens say them (web/static/js/inbox-labels.js).
CONVERSATION_STATUS = {"OPEN": "Aberta", "PENDING": "Pendente", "SNOOZED": "Adiada", "RESOLVED": "Resolvida"}
PRIORITY = {"LOW": "Baixa", "MEDIUM": "Média", "HIGH": "Alta", "URGENT": "Urgente"}

# link name → (model, whether the caller's visibility applies to it)
LINKS: dict[str, tuple[type[Model], bool]] = {
    "user": (User, False),
    "company": (Company, True),
    "contact": (Contact, True),
    "deal": (Deal, True),
    "stage": (Stage, False),
    "pipeline": (Pipeline, False),
    "inbox": (Inbox, False),
    "development": (Development, False),
}
TITLE_OF = {Deal: "title"}


@dataclass(frozen=True)
class Column:
    header: str
    read: Callable[[Any, Page], Any]


class Page:
    """One page of rows and the names of what they link to."""

    def __init__(self, rows: list[Any], names: dict[str, dict[int, str]], tags: dict[int, list[str]]):
        self.rows = rows
        self.names = names
        self.tags = tags

    def name(self, link: str, pk: int | None) -> str | None:
        return self.names.get(link, {}).get(pk) if pk is not None else None


def _field(attribute: str, labels: dict[str, str] | None = None) -> Callable[[Any, Page], Any]:
    if labels is None:
        return lambda row, _page: getattr(row, attribute)
    return lambda row, _page: labels.get(getattr(row, attribute), getattr(row, attribute))


def _link(link: str, attribute: str) -> Callable[[Any, Page], Any]:
    return lambda row, page: page.name(link, getattr(row, attribute))


def _number(row: Any, _page: Page) -> Any:
    return row.number


@dataclass(frozen=True)
class Entity:
    """An exportable list: its columns, the links they name, whose custom
    fields follow (None: none) and the word the file and the log use."""

    name: str
    columns: tuple[Column, ...]
    links: dict[str, str]  # link name → attribute holding its id
    custom_entity: str | None = None
    tags: bool = False


ENTITIES: dict[str, Entity] = {
    "contacts": Entity(
        "contacts",
        (
            Column("Número", _number),
            Column("Nome", _field("name")),
            Column("E-mail", _field("email")),
            Column("Telefone", _field("phone")),
            Column("Empresa", _link("company", "company_id")),
            Column("Responsável", _link("user", "owner_id")),
            Column("Etapa do ciclo de vida", _field("lifecycle_stage", LIFECYCLE)),
            Column("Pontuação", _field("score")),
            Column("Origem", _field("source")),
            Column("Etiquetas", lambda row, page: page.tags.get(row.id, [])),
            Column("Criado em", _field("created_at")),
            Column("Atualizado em", _field("updated_at")),
        ),
        {"company": "company_id", "user": "owner_id"},
        "CONTACT",
        tags=True,
    ),
    "companies": Entity(
        "companies",
        (
            Column("Nome", _field("name")),
            Column("Domínio", _field("domain")),
            Column("Responsável", _link("user", "owner_id")),
            Column("Criada em", _field("created_at")),
            Column("Atualizada em", _field("updated_at")),
        ),
        {"user": "owner_id"},
        "COMPANY",
    ),
    "deals": Entity(
        "deals",
        (
            Column("Número", _number),
            Column("Título", _field("title")),
            Column("Funil", _link("pipeline", "pipeline_id")),
            Column("Etapa", _link("stage", "stage_id")),
            Column("Situação", _field("status", DEAL_STATUS)),
            Column("Valor", _field("value")),
            Column("Moeda", _field("currency")),
            Column("Contato", _link("contact", "contact_id")),
            Column("Empresa", _link("company", "company_id")),
            Column("Responsável", _link("user", "owner_id")),
            Column("Empreendimento", _link("development", "development_id")),
            Column("Previsão de fechamento", _field("expected_close_date")),
            Column("Motivo da perda", _field("lost_reason")),
            Column("Fechado em", _field("closed_at")),
            Column("Criado em", _field("created_at")),
        ),
        {
            "pipeline": "pipeline_id",
            "stage": "stage_id",
            "contact": "contact_id",
            "company": "company_id",
            "user": "owner_id",
            "development": "development_id",
        },
        "DEAL",
    ),
    "conversations": Entity(
        "conversations",
        (
            Column("Número", _number),
            Column("Contato", _link("contact", "contact_id")),
            Column("Caixa de entrada", _link("inbox", "inbox_id")),
            Column("Situação", _field("status", CONVERSATION_STATUS)),
            Column("Prioridade", _field("priority", PRIORITY)),
            Column("Responsável", _link("user", "assignee_id")),
            Column("Etiquetas", _field("tags")),
            Column("Negócio", _link("deal", "deal_id")),
            Column("Última mensagem em", _field("last_message_at")),
            Column("Primeira resposta em", _field("first_reply_at")),
            Column("Resolvida em", _field("resolved_at")),
            Column("Nota de satisfação", _field("csat_rating")),
            Column("Criada em", _field("created_at")),
        ),
        {"contact": "contact_id", "inbox": "inbox_id", "user": "assignee_id", "deal": "deal_id"},
    ),
    "tasks": Entity(
        "tasks",
        (
            Column("Título", _field("title")),
            Column("Vencimento", _field("due_at")),
            Column("Concluída", _field("done")),
            Column("Concluída em", _field("done_at")),
            Column("Responsável", _link("user", "assignee_id")),
            Column("Contato", _link("contact", "contact_id")),
            Column("Negócio", _link("deal", "deal_id")),
            Column("Criada em", _field("created_at")),
        ),
        {"user": "assignee_id", "contact": "contact_id", "deal": "deal_id"},
    ),
}


def _custom_value(definition: CustomFieldDefinition) -> Callable[[Any, Page], Any]:
    labels = {option["key"]: option["label"] for option in definition.options or ()}

    def read(row: Any, _page: Page) -> Any:
        value = (row.custom_fields or {}).get(definition.key)
        if value is None:
            return None
        if definition.type == "SELECT":
            return labels.get(value, value)
        if definition.type == "MULTI_SELECT":
            return [labels.get(item, item) for item in value]
        if definition.type == "DECIMAL":
            try:
                return Decimal(str(value))
            except InvalidOperation:
                return str(value)
        if definition.type == "DATE" and isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value
        return value

    return read


async def columns_of(ctx: Context, entity: Entity) -> list[Column]:
    """The entity's columns, then its live custom fields in display order."""
    columns = list(entity.columns)
    if entity.custom_entity is not None:
        definitions = await CustomFieldDefinition.filter(
            workspace_id=ctx.require_actor().workspace_id, entity=entity.custom_entity, archived_at=None
        ).order_by("position", "id")
        columns.extend(Column(d.label, _custom_value(d)) for d in definitions)
    return columns


async def page_of(ctx: Context, entity: Entity, rows: list[Any]) -> Page:
    """The rows with the names of what they link to (a query per kind of link)."""
    names: dict[str, dict[int, str]] = {}
    scope = await scope_of(ctx) if rows else None
    for link, attribute in entity.links.items():
        ids = {pk for pk in (getattr(row, attribute) for row in rows) if pk is not None}
        if not ids:
            continue
        model, scoped = LINKS[link]
        query = model.filter(id__in=ids, workspace_id=ctx.require_actor().workspace_id)
        if scoped and scope is not None:
            query = query.filter(visible_q(scope, model))
        label = TITLE_OF.get(model, "name")
        names[link] = {pk: text for pk, text in await query.values_list("id", label)}
    tags: dict[int, list[str]] = {}
    if entity.tags and rows:
        found = ContactTag.filter(contact_id__in=[row.id for row in rows]).order_by("name")
        for contact_id, name in await found.values_list("contact_id", "name"):
            tags.setdefault(contact_id, []).append(name)
    return Page(rows, names, tags)


def headers(columns: Sequence[Column]) -> list[str]:
    return [column.header for column in columns]


def values(columns: Sequence[Column], page: Page) -> Iterable[list[Any]]:
    for row in page.rows:
        yield [column.read(row, page) for column in columns]
