"""A flow as an admin wrote it, checked and stored as a graph of nodes.

Node kinds: MESSAGE (send a text, go on), QUESTION (send a text with
options, wait for one), COLLECT (ask for a contact field and wait for a
valid value), CONDITION (branch on answers, contact fields or the inbox's
business hours), HANDOFF (to people, through a queue, with a reason) and END
(resolve). The graph is sound when node ids are unique, every edge names a
node, the start exists, every node is reachable from it, and no cycle runs
without a QUESTION or COLLECT in it (the bot would talk forever). Every
problem is reported, each on its path into the input. The stored
definition uses the GraphQL input's names; a handoff's queue is stored as
its primary key (resolved by the use case, which sees the caller's scope)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from revgraph.resolvers.chatbot.answers import normalise_answer
from revgraph.resolvers.chatbot.graph import edges, reachable, silent_cycle
from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import _
from revgraph.resolvers.inbox.intake import check_body
from revgraph.resolvers.validation import text_problem

KINDS = ("MESSAGE", "QUESTION", "COLLECT", "CONDITION", "HANDOFF", "END")
# Nodes where the bot stops and waits for the contact.
WAITING = ("QUESTION", "COLLECT")
COLLECT_FIELDS = ("NAME", "EMAIL", "PHONE", "CUSTOM")
SOURCES = ("ANSWER", "CONTACT_FIELD", "BUSINESS_HOURS")
VALUE_OPERATORS = ("EQUALS", "NOT_EQUALS", "CONTAINS")
OPERATORS = (*VALUE_OPERATORS, "IS_SET", "IS_NOT_SET", "IS_OPEN", "IS_CLOSED")
HOURS_OPERATORS = ("IS_OPEN", "IS_CLOSED")
CONTACT_FIELDS = ("name", "email", "phone")
NODE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NODES = 100
MAX_RULES = 20
MAX_KEYWORDS = 10
MAX_RETRY_LIMIT = 5
DEFAULT_RETRY_LIMIT = 2
DEFAULT_KEYWORDS = ("atendente",)
# WhatsApp's interactive messages: up to 3 reply buttons of 20 characters,
# or a list of up to 10 rows of 24; a body of up to 1,024 characters.
DISPLAYS = {"BUTTONS": (3, 20), "LIST": (10, 24)}
MAX_PROMPT_CHARS = 1024
MAX_REASON_CHARS = 500


class FlowChecker:
    """Collects every problem of one flow input (see the module)."""

    def __init__(self, channel: str, custom_keys: Sequence[str], field: Sequence[str]) -> None:
        self.channel = channel
        self.custom_keys = set(custom_keys)
        self.field = list(field)
        self.problems: list[Problem] = []

    def refuse(self, message: str, *path: str) -> None:
        self.problems.append(Problem("INVALID", message, [*self.field, *path]))

    def check(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The definition to store, or DomainError with every problem."""
        nodes_in = values.get("nodes") or []
        if not nodes_in:
            self.refuse(_("A flow needs at least one node."), "nodes")
        elif len(nodes_in) > MAX_NODES:
            self.refuse(_("A flow has at most {MAX_NODES} nodes.", MAX_NODES=MAX_NODES), "nodes")
            nodes_in = []
        nodes = [self._node(raw, ("nodes", str(i))) for i, raw in enumerate(nodes_in)]
        index = self._unique_ids(nodes)
        start = values.get("start")
        if nodes and start not in index:
            self.refuse(_("The start node {start!r} does not exist in the flow.", start=start), "start")
        self._rule_keys(nodes, index)
        self._graph(nodes, index, start)
        keywords = self._keywords(values.get("hand_off_keywords"))
        if self.problems:
            raise DomainError.many(self.problems)
        return {"start": start, "handOffKeywords": keywords, "nodes": nodes}

    def _node(self, raw: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        node_id = raw.get("id")
        if not isinstance(node_id, str) or not NODE_ID.match(node_id):
            self.refuse(_("A node id has 1 to 64 letters, digits, _ or -."), *path, "id")
        kind = raw.get("kind")
        node: dict[str, Any] = {"id": node_id, "kind": kind}
        if kind not in KINDS:
            self.refuse(_("The node type is one of {items}.", items=", ".join(KINDS)), *path, "kind")
            return node
        allowed = {
            "MESSAGE": ("text", "next"),
            "QUESTION": ("text", "options", "display", "retry_limit", "invalid_text"),
            "COLLECT": ("text", "field", "custom_field_key", "next", "retry_limit", "invalid_text"),
            "CONDITION": ("rules", "otherwise"),
            "HANDOFF": ("text", "queue_id", "reason"),
            "END": ("text",),
        }[kind]
        for name, value in raw.items():
            if name not in ("id", "kind", *allowed) and value is not None:
                self.refuse(
                    _("A {kind} node does not use the field {camel}.", kind=kind, camel=_camel(name)),
                    *path,
                    _camel(name),
                )
        if kind in ("MESSAGE", "COLLECT"):
            node["text"] = self._text(raw.get("text"), (*path, "text"), required=True)
        elif kind == "QUESTION":
            node["text"] = self._text(raw.get("text"), (*path, "text"), required=True, limit=MAX_PROMPT_CHARS)
        elif kind in ("HANDOFF", "END"):
            node["text"] = self._text(raw.get("text"), (*path, "text"), required=False)
        if kind in ("MESSAGE", "COLLECT"):
            node["next"] = self._target(raw.get("next"), path, "next")
        if kind == "QUESTION":
            node.update(self._options(raw, path))
        if kind in WAITING:
            node["retryLimit"] = self._retry_limit(raw.get("retry_limit"), path)
            node["invalidText"] = self._text(raw.get("invalid_text"), (*path, "invalidText"), required=False)
        if kind == "COLLECT":
            node.update(self._collect(raw, path))
        if kind == "CONDITION":
            node["rules"] = self._rules(raw.get("rules") or [], path)
            node["otherwise"] = self._target(raw.get("otherwise"), path, "otherwise")
        if kind == "HANDOFF":
            node["queueId"] = raw.get("queue_id")
            reason = (raw.get("reason") or "").strip()
            if not reason or len(reason) > MAX_REASON_CHARS or text_problem(reason, single_line=True):
                self.refuse(
                    _(
                        "Give the reason for the hand-off on one line (up to {MAX_REASON_CHARS} characters).",
                        MAX_REASON_CHARS=MAX_REASON_CHARS,
                    ),
                    *path,
                    "reason",
                )
            node["reason"] = reason
        return node

    def _text(self, value: Any, at: Sequence[str], *, required: bool, limit: int | None = None) -> str | None:
        at = list(at)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.refuse(_("Write the text the bot sends at this node."), *at)
            return None
        try:
            text = check_body(self.channel, value, at)
        except DomainError as error:
            self.problems.extend(Problem(p.code, p.message, [*self.field, *at]) for p in error.problems)
            return None
        if limit is not None and len(text) > limit:
            self.refuse(_("This text has at most {limit} characters.", limit=limit), *at)
        return text

    def _target(self, value: Any, path: Sequence[str], name: str) -> str | None:
        if not isinstance(value, str) or not value:
            self.refuse(_("Give the id of the next node."), *path, name)
            return None
        return value

    def _retry_limit(self, value: Any, path: Sequence[str]) -> int:
        if value is None:
            return DEFAULT_RETRY_LIMIT
        if not isinstance(value, int) or not 0 <= value <= MAX_RETRY_LIMIT:
            self.refuse(
                _("Retries from 0 to {MAX_RETRY_LIMIT}.", MAX_RETRY_LIMIT=MAX_RETRY_LIMIT),
                *path,
                "retryLimit",
            )
            return DEFAULT_RETRY_LIMIT
        return value

    def _options(self, raw: Mapping[str, Any], path: Sequence[str]) -> dict[str, Any]:
        options_in = raw.get("options") or []
        display = raw.get("display") or ("BUTTONS" if len(options_in) <= 3 else "LIST")
        most, longest = DISPLAYS[display]
        if not options_in or len(options_in) > most:
            word = "botões" if display == "BUTTONS" else "itens de lista"
            self.refuse(
                _("A question with {word} has 1 to {most} options.", word=word, most=most), *path, "options"
            )
        options, seen = [], set()
        for i, option in enumerate(options_in):
            at = (*path, "options", str(i))
            label = (option.get("label") or "").strip()
            normal = normalise_answer(label)
            if not normal or len(label) > longest or text_problem(label, single_line=True):
                self.refuse(
                    _("An option's text has 1 to {longest} characters, on one line.", longest=longest),
                    *at,
                    "label",
                )
            elif normal.isdigit():
                self.refuse(
                    _("An option's text cannot be just a number (the contact answers with the number)."),
                    *at,
                    "label",
                )
            elif normal in seen:
                self.refuse(_("The option {label!r} is repeated.", label=label), *at, "label")
            seen.add(normal)
            options.append({"label": label, "next": self._target(option.get("next"), at, "next")})
        return {"display": display, "options": options}

    def _collect(self, raw: Mapping[str, Any], path: Sequence[str]) -> dict[str, Any]:
        field = raw.get("field")
        key = raw.get("custom_field_key")
        if field is None:
            self.refuse(_("Give the contact field this node collects."), *path, "field")
        elif field == "CUSTOM" and key not in self.custom_keys:
            self.refuse(
                _(
                    "{key!r} is not an active custom field of contacts (create it in Custom fields).",
                    key=key,
                ),
                *path,
                "customFieldKey",
            )
        elif field != "CUSTOM" and key is not None:
            self.refuse(_("customFieldKey applies only to the CUSTOM field."), *path, "customFieldKey")
        return {"field": field, "customFieldKey": key if field == "CUSTOM" else None}

    def _rules(self, rules: Sequence[Mapping[str, Any]], path: Sequence[str]) -> list[dict[str, Any]]:
        if not rules or len(rules) > MAX_RULES:
            self.refuse(_("A condition has 1 to {MAX_RULES} rules.", MAX_RULES=MAX_RULES), *path, "rules")
        out = []
        for i, rule in enumerate(rules[:MAX_RULES]):
            at = (*path, "rules", str(i))
            source, operator, value = rule.get("source"), rule.get("operator"), rule.get("value")
            if (source == "BUSINESS_HOURS") != (operator in HOURS_OPERATORS):
                self.refuse(
                    _("Business hours use IS_OPEN or IS_CLOSED; the other sources, the other operators."),
                    *at,
                    "operator",
                )
            if operator in VALUE_OPERATORS and not (isinstance(value, str) and value.strip()):
                self.refuse(
                    _("The operator {operator} compares with a value: give it.", operator=operator),
                    *at,
                    "value",
                )
            key = rule.get("key")
            if source != "BUSINESS_HOURS" and not key:
                self.refuse(
                    _("Say what the rule reads: the id of a question or a contact field."), *at, "key"
                )
            if source == "CONTACT_FIELD" and key and key not in (*CONTACT_FIELDS, *self.custom_keys):
                self.refuse(
                    _(
                        "{key!r} is not a contact field (name, email, phone or an active custom field).",
                        key=key,
                    ),
                    *at,
                    "key",
                )
            out.append(
                {
                    "source": source,
                    "key": key if source != "BUSINESS_HOURS" else None,
                    "operator": operator,
                    "value": value.strip() if isinstance(value, str) else None,
                    "next": self._target(rule.get("next"), at, "next"),
                }
            )
        return out

    def _unique_ids(self, nodes: list[dict[str, Any]]) -> dict[str, int]:
        index: dict[str, int] = {}
        for i, node in enumerate(nodes):
            node_id = node["id"]
            if not isinstance(node_id, str):
                continue
            if node_id in index:
                self.refuse(
                    _("The id {node_id!r} already belongs to another node: ids are unique.", node_id=node_id),
                    "nodes",
                    str(i),
                    "id",
                )
            else:
                index[node_id] = i
        return index

    def _rule_keys(self, nodes: list[dict[str, Any]], index: Mapping[str, int]) -> None:
        for i, node in enumerate(nodes):
            for j, rule in enumerate(node.get("rules") or ()):
                if rule["source"] != "ANSWER" or not rule["key"]:
                    continue
                target = index.get(rule["key"])
                if target is None or nodes[target]["kind"] not in WAITING:
                    self.refuse(
                        _("{key!r} is neither a question nor a collection of this flow.", key=rule["key"]),
                        "nodes",
                        str(i),
                        "rules",
                        str(j),
                        "key",
                    )

    def _graph(self, nodes: list[dict[str, Any]], index: Mapping[str, int], start: Any) -> None:
        for i, node in enumerate(nodes):
            for target, path in edges(node):
                if target is not None and target not in index:
                    self.refuse(
                        _("The node {target!r} does not exist in the flow.", target=target),
                        "nodes",
                        str(i),
                        *path,
                    )
        if start not in index:
            return
        reached = reachable(nodes, index, start)
        for i, node in enumerate(nodes):
            if node["id"] in index and index[node["id"]] == i and i not in reached:
                self.refuse(
                    _(
                        "The node {id!r} cannot be reached from the start ({start!r}).",
                        id=node["id"],
                        start=start,
                    ),
                    "nodes",
                    str(i),
                    "id",
                )
        cycle = silent_cycle(nodes, index)
        if cycle:
            names = " → ".join(nodes[i]["id"] for i in cycle)
            self.refuse(
                _(
                    "The cycle {names} has no question nor collection: the bot would talk without end.",
                    names=names,
                ),
                "nodes",
                str(cycle[0]),
                "id",
            )

    def _keywords(self, value: Any) -> list[str]:
        if value is None:
            return list(DEFAULT_KEYWORDS)
        if len(value) > MAX_KEYWORDS:
            self.refuse(_("At most {MAX_KEYWORDS} keywords.", MAX_KEYWORDS=MAX_KEYWORDS), "handOffKeywords")
            return []
        out: list[str] = []
        for i, word in enumerate(value):
            normal = normalise_answer(word or "")
            if not normal or len((word or "").strip()) > 50 or text_problem(word, single_line=True):
                self.refuse(_("Each keyword has 1 to 50 characters, on one line."), "handOffKeywords", str(i))
            elif normal not in [normalise_answer(w) for w in out]:
                out.append(word.strip())
        return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def check_flow(
    values: Mapping[str, Any],
    *,
    channel: str,
    custom_keys: Sequence[str],
    field: Sequence[str] = ("input",),
) -> dict[str, Any]:
    """A flow input (snake_case keys, as input_dict gives it) as the
    definition to store; DomainError with every problem otherwise."""
    return FlowChecker(channel, custom_keys, field).check(values)


def node_index(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in definition["nodes"]}
