"""The kinds of import by entity (what POST /imports takes as `entity`)."""

from __future__ import annotations

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.imports.cells import ImportKind
from revgraph.resolvers.imports.company_rows import CompanyImport
from revgraph.resolvers.imports.contact_rows import ContactImport
from revgraph.resolvers.imports.deal_rows import DealImport

KINDS: dict[str, ImportKind] = {
    kind.entity: kind for kind in (ContactImport(), CompanyImport(), DealImport())
}
ENTITIES = tuple(KINDS)


def kind_of(entity: str) -> ImportKind:
    kind = KINDS.get(entity)
    if kind is None:
        raise DomainError("INVALID", _("Imports take {items}.", items=", ".join(ENTITIES)), ["entity"])
    return kind
