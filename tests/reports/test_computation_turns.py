"""Report computations take turns (resolvers/poll_cache.py ComputationTurns,
schema/poll.py PollCaching): at most REVGRAPH_REPORT_COMPUTATIONS run at
once per process, whatever the number of dashboards missing together, so a
write is not queued behind them; the polls of one slot queued meanwhile
take one computation, which includes every commit made before each was
sent. Developed on inboxReport, like the poll cache's own tests."""

import asyncio
from datetime import timedelta

import pytest

from revgraph.resolvers.inbox import report
from revgraph.resolvers.poll_cache import ComputationTurns
from tests.inbox.test_report import around_now, resolve
from tests.reports.test_poll_cache import RESOLVED, conversations, figures, graphql_view, settled


class HeldReports:
    """inboxReport's computations, counted per range length in hours, each
    held until `release` when its range is one of `held` (before it reads
    anything, or with `after`, once it has read everything)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, held: set[int], *, after: bool = False) -> None:
        self.held = held
        self.running = 0
        self.most_at_once = 0
        self.computed: dict[int, int] = {}
        self.gate = asyncio.Event()
        computed = report.inbox_report

        async def counted(ctx, start, end, **kwargs):
            hours = round((end - start) / timedelta(hours=2))
            self.computed[hours] = self.computed.get(hours, 0) + 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            try:
                if hours in self.held and not after:
                    await self.gate.wait()
                answer = await computed(ctx, start, end, **kwargs)
                if hours in self.held and after:
                    await self.gate.wait()
                return answer
            finally:
                self.running -= 1

        monkeypatch.setattr(report, "inbox_report", counted)

    def release(self) -> None:
        self.gate.set()


async def until(condition, timeout: float = 10.0) -> None:
    """Wait until `condition()` holds (the server runs in this loop)."""
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def test_dashboards_missing_together_compute_a_few_at_once_and_a_write_goes_by(
    gql, workspace, monkeypatch
):
    # given a process that computes one report at a time, and four dashboards
    # (four ranges: four slots) whose reports take as long as the test says
    token = workspace.token
    _, (first, _second) = await conversations(gql, token, 2)
    turns = graphql_view(gql.server).poll_cache.turns
    monkeypatch.setattr(turns, "limit", 1)
    reports = HeldReports(monkeypatch, held={1, 2, 3, 4})
    # when they all poll at once
    polls = [asyncio.create_task(figures(gql, token, around_now(hours))) for hours in (1, 2, 3, 4)]
    await until(lambda: turns.running == 1 and turns.waiting == 3)
    # then one computes and three wait, and a write meanwhile is not queued behind them
    assert reports.most_at_once == 1
    await asyncio.wait_for(resolve(gql, token, first), timeout=10)
    assert not any(poll.done() for poll in polls)
    # and once the reports are quick again every dashboard is answered, with the write
    reports.release()
    answers = await asyncio.gather(*polls)
    assert answers == [{"conversations": 2, "resolved": 1}] * 4
    assert reports.most_at_once == 1
    await until(lambda: (turns.running, turns.waiting) == (0, 0))


async def test_polls_of_one_slot_queued_after_each_commit_take_one_computation_with_every_commit(
    gql, workspace, monkeypatch
):
    # given a process that computes one report at a time, busy with another
    # dashboard's report (another range) for as long as the test says
    token = workspace.token
    _, found = await conversations(gql, token, 3)
    turns = graphql_view(gql.server).poll_cache.turns
    monkeypatch.setattr(turns, "limit", 1)
    reports = HeldReports(monkeypatch, held={2})
    busy = asyncio.create_task(figures(gql, token, around_now(2)))
    await until(lambda: turns.running == 1)
    # when a conversation is resolved before each of three polls of one dashboard
    # (each reads a newer position), all queued behind the busy one
    range_ = around_now(1)
    polls = []
    for number, conversation_id in enumerate(found, start=1):
        await resolve(gql, token, conversation_id)
        await settled()
        polls.append(asyncio.create_task(figures(gql, token, range_)))
        await until(lambda number=number: turns.waiting == number)
    reports.release()
    answers = await asyncio.gather(*polls)
    # then each answer counts every resolution made before it was sent (all three),
    # and the three polls took one computation
    assert answers == [{"conversations": 3, "resolved": 3}] * 3
    assert reports.computed[1] == 1
    assert (await busy)["conversations"] == 3


async def test_a_poll_queued_after_a_commit_does_not_take_an_answer_computed_before_it(
    gql, workspace, monkeypatch
):
    # given a dashboard's poll whose computation has read everything (and is held
    # there), and one more poll of the same dashboard queued behind it, sent after
    # a commit the computation did not see
    token = workspace.token
    _, (first, _second) = await conversations(gql, token, 2)
    turns = graphql_view(gql.server).poll_cache.turns
    monkeypatch.setattr(turns, "limit", 1)
    reports = HeldReports(monkeypatch, held={1}, after=True)
    range_ = around_now(1)
    computing = asyncio.create_task(figures(gql, token, range_, RESOLVED))
    await until(lambda: turns.running == 1)
    await resolve(gql, token, first)
    await settled()
    queued = asyncio.create_task(figures(gql, token, range_, RESOLVED))
    await until(lambda: turns.waiting == 1)
    # when the computation lands
    reports.release()
    # then the poll sent before the commit has the answer without it, and the one
    # sent after does not take that answer: it computes its own, with the commit
    assert (await computing) == {"conversations": 2, "resolved": 0}
    assert (await queued) == {"conversations": 2, "resolved": 1}
    assert reports.computed[1] == 2


async def test_turns_are_first_come_first_served_and_passed_on_by_those_who_leave():
    # given one turn, taken, and three polls waiting for it
    turns = ComputationTurns(1)
    taken = turns.ask()
    first, second, third = turns.ask(), turns.ask(), turns.ask()
    assert taken.done() and not any(t.done() for t in (first, second, third))
    # when the second leaves (answered meanwhile) and the computation ends
    turns.end(second)
    turns.end(taken)
    # then the first gets the turn; when it ends, the third; then none is running
    assert first.done() and not third.done()
    turns.end(first)
    assert third.done()
    turns.end(third)
    assert (turns.running, turns.waiting) == (0, 0)
    # and a turn granted to a poll that leaves without computing is passed on
    granted, following = turns.ask(), turns.ask()
    turns.end(granted)
    assert following.done()
    turns.end(following)
    assert turns.running == 0


async def test_an_agents_queued_poll_takes_an_answer_whose_owners_did_not_change_since(
    gql, workspace, monkeypatch
):
    # given Ana's funnel being computed (held once it has read everything)
    from revgraph.resolvers.reports import funnel as report_funnel
    from tests.pipeline.support import move
    from tests.reports.test_owner_positions import around_now as owners_range
    from tests.reports.test_owner_positions import entered, funnel, given

    world = await given(gql, workspace)
    pipeline, ana = world["pipeline"], world["ana"]
    cache = graphql_view(gql.server).poll_cache
    monkeypatch.setattr(cache.turns, "limit", 1)
    gate, computed = asyncio.Event(), report_funnel.funnel

    async def held(*args, **kwargs):
        answer = await computed(*args, **kwargs)
        await gate.wait()
        return answer

    monkeypatch.setattr(report_funnel, "funnel", held)
    announced = []
    compute = cache.compute
    monkeypatch.setattr(cache, "compute", lambda *args: announced.append(args) or compute(*args))
    range_ = owners_range()
    computing = asyncio.create_task(funnel(gql, ana["token"], pipeline["id"], range_))
    await until(lambda: cache.turns.running == 1)
    # when another owner's deal moves (the workspace's position moves, not Ana's
    # owners') and Ana's second screen polls, queued behind the first
    moved = await move(
        gql, workspace.token, dealId=world["deals"]["Caio"]["id"], stageId=pipeline["stage"]["Contato"]
    )
    assert moved["userErrors"] == []
    queued = asyncio.create_task(funnel(gql, ana["token"], pipeline["id"], range_))
    await until(lambda: cache.turns.waiting == 1)
    gate.set()
    # then the second screen takes the first one's answer: one computation, the same figures
    first, second = await computing, await queued
    assert second == first and entered(first, "Novo") == 1
    assert len(announced) == 1


async def test_a_turn_rests_so_that_computations_take_at_most_their_share_of_the_time():
    # given turns busy at most half of the time, one taken and one waiting
    turns = ComputationTurns(1, busy_percent=50)
    loop = asyncio.get_running_loop()
    taken = turns.ask()
    waiting = turns.ask()
    # when the first computes for 0.2 s and ends
    await asyncio.sleep(0.2)
    ended = loop.time()
    turns.end(taken)
    # then the next waits as long again before its turn (not at once)
    assert not waiting.done()
    await asyncio.wait_for(waiting, timeout=5)
    assert loop.time() - ended >= 0.19
    # and a turn given back at once (its poll answered meanwhile) rests next to nothing
    following = turns.ask()
    turns.end(waiting)
    await asyncio.wait_for(following, timeout=0.2)
    turns.end(following)
    await until(lambda: turns.running == 0, timeout=0.2)

    # and with nobody waiting, a turn ending frees its place at once
    alone = turns.ask()
    await asyncio.sleep(0.1)
    turns.end(alone)
    assert turns.running == 0 and turns.ask().done()


async def test_a_turn_that_computed_long_rests_no_longer_than_the_cap():
    # given turns busy at most half of the time, resting at most 0.1 s, one taken and one waiting
    turns = ComputationTurns(1, busy_percent=50, max_rest=0.1)
    loop = asyncio.get_running_loop()
    taken = turns.ask()
    waiting = turns.ask()
    # when the first computes for 0.5 s (a poll cut at its deadline, say) and ends
    await asyncio.sleep(0.5)
    ended = loop.time()
    turns.end(taken)
    # then the next gets its turn after the cap, not after 0.5 s more
    await asyncio.wait_for(waiting, timeout=5)
    assert 0.09 <= loop.time() - ended < 0.3
