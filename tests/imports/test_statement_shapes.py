"""A bulk load's statements come in a few shapes, whatever its batches
hold: each connection keeps its recent prepared statements, and a cache
full of one-off shapes of hundreds of rows was tens of megabytes
(resolvers/bulk_insert.py)."""

from __future__ import annotations

from revgraph.models.crm import Contact
from revgraph.models.identity import Workspace
from revgraph.resolvers import bulk_insert
from revgraph.resolvers.bulk_insert import _slices, in_list, insert_returning_ids


def test_rows_go_in_power_of_two_slices_and_in_lists_are_padded():
    assert _slices(183, 1764) == [128, 32, 16, 4, 2, 1]
    assert _slices(1000, 300) == [256, 256, 256, 128, 64, 32, 8]
    assert _slices(0, 100) == []
    shapes = {tuple(_slices(n, 1764)) for n in range(1, 201)}
    assert len({size for sizes in shapes for size in sizes}) == 8  # 1, 2, 4, ..., 128
    assert in_list(["b", "a", "b", "c"]) == ["a", "b", "c", "c"]
    assert in_list([]) == []
    assert {len(in_list(range(n))) for n in range(150, 201)} == {256}


async def test_a_bulk_insert_of_any_size_gets_every_id(server, workspace, monkeypatch):
    workspace_id = (await Workspace.first()).id
    monkeypatch.setattr(bulk_insert, "MAX_PARAMETERS", 30_000)
    # when batches of 1 to 40 contacts are inserted
    inserted: list[Contact] = []
    for size in range(1, 41):
        batch = [
            Contact(workspace_id=workspace_id, name=f"P{size}-{i}", name_search=f"p{size}-{i}")
            for i in range(size)
        ]
        inserted += await insert_returning_ids(batch)
    # then all 820 rows went in
    assert len(inserted) == 820
    # and each object got its own row's id
    stored = dict(await Contact.filter(id__in=[c.id for c in inserted]).values_list("id", "name"))
    assert all(stored[c.id] == c.name for c in inserted)
