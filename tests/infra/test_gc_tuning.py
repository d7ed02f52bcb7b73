"""`revgraph serve` freezes what start-up built out of the garbage
collector's full passes and raises its young threshold (web/gc_tuning.py):
a full collection walking the whole schema and every module was the
periodic pause in a list's p99 (bench/READS.md). Cases that change the
collector run in a child process, so this test process keeps its own."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from revgraph.web.gc_tuning import SERVING_THRESHOLDS, GcSettingError, thresholds_from
from tests.infra.revgraph_process import ServeProcess, child_env, run_revgraph

# A server of its own (SQLite in the test's folder), with no collector setting.
EMBEDDED: dict[str, str | None] = {
    "REVGRAPH_DATABASE_URL": None,
    "REVGRAPH_REDIS_URL": None,
    "REVGRAPH_SECRET_KEY": None,
    "REVGRAPH_GC": None,
    "REVGRAPH_GC_THRESHOLDS": None,
}

# The children get settings of their own (`EMBEDDED`, or none): the same
# test in both runs of .ci/run.
pytestmark = pytest.mark.embedded_run_only

# Builds the schema as `revgraph serve` does, then, for each collector
# setting asked (in order), reports how many objects a full collection has
# to walk before and after tuning. One interpreter for every setting (each
# child costs seconds of CPU to import and build the schema): between two
# settings the collector is put back as a fresh interpreter has it (nothing
# frozen, Python's thresholds), so each setting starts from the same state.
CHILD = """
import gc, json, os, sys
from revgraph.resolvers.settings import Settings
from revgraph.schema import build_schema
from revgraph.web.gc_tuning import tune_collector
schema = build_schema(Settings.from_env({"REVGRAPH_SECRET_KEY": "x" * 32}))
fresh = gc.get_threshold()
assert gc.get_freeze_count() == 0
def report(environ):
    # A function: what one setting's report made is gone before the next one's.
    gc.unfreeze()
    gc.set_threshold(*fresh)
    gc.collect()
    before = len(gc.get_objects(generation=2))
    setting = tune_collector(environ)
    after = len(gc.get_objects(generation=2))
    return json.dumps({"before": before, "after": after, "thresholds": list(gc.get_threshold()),
                       "frozen": gc.get_freeze_count(), "reported": [list(setting.thresholds), setting.frozen]})
for environ in json.loads(sys.argv[1]):
    print(report(environ))
"""

# The settings the two tests below ask for, in the order the child applies
# them: the default first, on the interpreter exactly as start-up left it.
SETTINGS = {
    "default": {},
    "python": {"REVGRAPH_GC": "python"},
    "thresholds": {"REVGRAPH_GC_THRESHOLDS": "2000, 5, 20"},
}


@pytest.fixture(scope="module")
def settings_applied() -> dict[str, dict]:
    """What each of SETTINGS did, from one child interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(list(SETTINGS.values()))],
        env=child_env(**EMBEDDED),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == len(SETTINGS), result.stdout
    return dict(zip(SETTINGS, reports, strict=True))


def test_start_up_objects_leave_the_full_collection_and_the_young_threshold_rises(settings_applied):
    # when the collector is tuned after the schema is built
    tuned = settings_applied["default"]
    # then the objects start-up built are frozen: a full collection walks
    # almost none of them any more
    assert tuned["before"] > 50_000, tuned
    assert tuned["frozen"] >= tuned["before"], tuned
    assert tuned["after"] < tuned["before"] / 100, tuned
    # and generation 0 collects 10× less often than Python's 700
    assert tuned["thresholds"] == list(SERVING_THRESHOLDS) == [7_000, 10, 10]
    assert tuned["reported"][0] == tuned["thresholds"] and tuned["reported"][1] >= tuned["before"]


def test_an_operator_can_keep_pythons_collector_or_set_the_thresholds(settings_applied):
    # REVGRAPH_GC=python: nothing frozen, the interpreter's thresholds
    kept = settings_applied["python"]
    assert kept["frozen"] == 0 and kept["after"] == kept["before"], kept
    assert kept["thresholds"] == [700, 10, 10]
    # REVGRAPH_GC_THRESHOLDS: frozen as usual, the operator's thresholds
    own = settings_applied["thresholds"]
    assert own["thresholds"] == [2000, 5, 20] and own["frozen"] > 50_000


@pytest.mark.parametrize("raw", ["7000", "a,b,c", "0,10,10", "1,2,3,4", "-1,10,10"])
def test_thresholds_that_cannot_apply_are_refused_naming_the_variable(raw):
    with pytest.raises(GcSettingError, match="REVGRAPH_GC_THRESHOLDS"):
        thresholds_from({"REVGRAPH_GC_THRESHOLDS": raw})


async def test_serve_tunes_the_collector_before_its_first_request(tmp_path, migrated_sqlite):
    # given a server started the way operators start it (on a database
    # already migrated, in its working directory: the default place)
    migrated_sqlite(tmp_path / "revgraph.sqlite3")
    process = ServeProcess(env=child_env(**EMBEDDED), cwd=tmp_path)
    process.start()
    try:
        assert (await process.wait_ready(timeout=120)).status_code == 200
    finally:
        await process.stop()
    # then it reports the serving thresholds and a frozen start-up
    found = re.search(r"garbage collector thresholds (\S+), (\d+) start-up objects frozen", process.output)
    assert found, process.output
    assert found.group(1) == "7000/10/10" and int(found.group(2)) > 50_000


def test_serve_refuses_a_bad_collector_setting_in_one_line(tmp_path):
    env = child_env(**{**EMBEDDED, "REVGRAPH_GC": "off"})
    result = run_revgraph("serve", "--port", "0", env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "revgraph: REVGRAPH_GC='off'" in result.stderr and "Traceback" not in result.stderr
