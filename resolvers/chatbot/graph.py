"""A flow as a graph: the edges leaving a node, what the start reaches,
and a cycle the bot would run without ever waiting for the contact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Nodes the bot passes through without waiting for the contact.
SILENT = ("MESSAGE", "CONDITION")


def edges(node: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """(target node id, path inside the node) of each edge leaving `node`."""
    out: list[tuple[str, tuple[str, ...]]] = []
    if node.get("next") is not None:
        out.append((node["next"], ("next",)))
    for index, option in enumerate(node.get("options") or ()):
        out.append((option.get("next"), ("options", str(index), "next")))
    for index, rule in enumerate(node.get("rules") or ()):
        out.append((rule.get("next"), ("rules", str(index), "next")))
    if node.get("otherwise") is not None:
        out.append((node["otherwise"], ("otherwise",)))
    return out


def successors(node: Mapping[str, Any], index: Mapping[str, int]) -> list[int]:
    return [index[target] for target, _ in edges(node) if target in index]


def reachable(nodes: list[dict[str, Any]], index: Mapping[str, int], start: str) -> set[int]:
    seen, stack = {index[start]}, [index[start]]
    while stack:
        for nxt in successors(nodes[stack.pop()], index):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def silent_cycle(nodes: list[dict[str, Any]], index: Mapping[str, int]) -> list[int] | None:
    """A cycle through MESSAGE and CONDITION nodes only, as node indexes
    (first repeated at the end), or None."""
    silent = {i for i, n in enumerate(nodes) if n["kind"] in SILENT}
    colour: dict[int, int] = {}  # 1: on the path, 2: done
    for root in sorted(silent):
        if root in colour:
            continue
        path: list[int] = []
        stack: list[tuple[int, list[int]]] = [
            (root, [n for n in successors(nodes[root], index) if n in silent])
        ]
        colour[root] = 1
        path.append(root)
        while stack:
            node, pending = stack[-1]
            if not pending:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = pending.pop()
            if colour.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in colour:
                colour[nxt] = 1
                path.append(nxt)
                stack.append((nxt, [n for n in successors(nodes[nxt], index) if n in silent]))
    return None
