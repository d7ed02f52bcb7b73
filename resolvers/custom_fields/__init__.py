"""Campos adicionais (seed 002): typed fields a workspace adds to its
contacts, companies and deals.

- `types`: the seven field types — what a value may be sent as, the one
  form it is stored in, and how a stored value reads for comparisons.
- `values`: every write of `customFields` checked against the entity's
  definitions (a userError per bad field).
- `filters`: `customField: {key, ...operators}` in ContactFilter,
  CompanyFilter and DealFilter, as SQL on SQLite and PostgreSQL and in
  Python (stage entry conditions, automation conditions), one meaning.
- `definitions`: ADMIN creates, changes, archives and restores them;
  `usage` says which records and settings use a field.

Until a workspace defines a field for an entity, that entity's
customFields stay free JSON (within the input limits). From its first
definition on, only defined keys may be written; values already stored
under other keys ride along unchanged on later updates."""
