from collections import Counter
from datetime import UTC, datetime, timedelta

from revgraph.resolvers.distribution.strategies import Candidate, choose


def member(i, *, weight=1, capacity=None, active=True, online=True, open_leads=0, last=None, position=None):
    return Candidate(
        member_id=i,
        user_id=100 + i,
        name=f"m{i}",
        position=i if position is None else position,
        weight=weight,
        capacity=capacity,
        active=active,
        online=online,
        open_leads=open_leads,
        last_assigned_at=last,
    )


def run_round_robin(members, picks, pointer=None, mode="OFFLINE"):
    order = []
    for _ in range(picks):
        choice = choose("ROUND_ROBIN", mode, members, pointer)
        order.append(choice.winner.member_id)
        pointer = choice.winner.position
    return order, pointer


def test_round_robin_follows_positions_and_wraps():
    order, _ = run_round_robin([member(1), member(2), member(3)], 7)
    assert order == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_adding_a_member_keeps_everyone_elses_turn():
    members = [member(1), member(2), member(3)]
    order, pointer = run_round_robin(members, 2)  # 1, 2 served; 3 is next
    members.append(member(4))
    after, _ = run_round_robin(members, 4, pointer)
    assert order + after == [1, 2, 3, 4, 1, 2]


def test_round_robin_removing_the_pointer_member_keeps_the_turn():
    members = [member(1), member(2), member(3)]
    _, pointer = run_round_robin(members, 2)  # pointer at member 2's position
    remaining = [m for m in members if m.member_id != 2]
    after, _ = run_round_robin(remaining, 3, pointer)
    assert after == [3, 1, 3]


def test_online_mode_skips_offline_members_and_says_why():
    members = [member(1, online=False), member(2), member(3, capacity=2, open_leads=2)]
    choice = choose("ROUND_ROBIN", "ONLINE", members, None)
    assert choice.winner.member_id == 2
    reason = choice.reason.render("en")
    assert "m1 (offline)" in reason and "m3 (at capacity 2/2)" in reason
    assert reason.startswith("ROUND_ROBIN: no previous assignment; next in turn is m2")


def test_offline_mode_ignores_presence_but_not_activity():
    members = [member(1, online=False), member(2, active=False)]
    assert choose("ROUND_ROBIN", "OFFLINE", members, None).winner.member_id == 1


def test_nobody_eligible_queues_with_the_reasons():
    choice = choose("WEIGHTED", "ONLINE", [member(1, online=False)], None)
    assert choice.winner is None
    assert "nobody eligible" in choice.reason.render("en") and "m1 (offline)" in choice.reason.render("en")


def run_weighted(members, picks):
    order = []
    for _ in range(picks):
        choice = choose("WEIGHTED", "OFFLINE", members, None)
        order.append(choice.winner.member_id)
        for m in members:
            m.current_weight = choice.weights.get(m.member_id, m.current_weight)
    return order


def test_weighted_gives_each_member_exactly_its_weight_per_cycle_spread_evenly():
    members = [member(1, weight=5), member(2, weight=1), member(3, weight=1)]
    order = run_weighted(members, 7 * 4)
    for cycle in range(4):
        assert Counter(order[cycle * 7 : cycle * 7 + 7]) == {1: 5, 2: 1, 3: 1}
    assert order[:7] == [1, 1, 2, 1, 3, 1, 1]  # smooth: never five in a row


def test_weighted_any_window_of_a_cycle_is_exact():
    members = [member(1, weight=3), member(2, weight=2), member(3, weight=1)]
    order = run_weighted(members, 60)
    for start in range(0, 54):
        assert Counter(order[start : start + 6]) == {1: 3, 2: 2, 3: 1}


def test_least_loaded_prefers_fewest_open_then_longest_wait():
    now = datetime.now(UTC)
    members = [
        member(1, open_leads=2, last=now - timedelta(hours=5)),
        member(2, open_leads=1, last=now - timedelta(minutes=1)),
        member(3, open_leads=1, last=now - timedelta(hours=1)),
    ]
    choice = choose("LEAST_LOADED", "OFFLINE", members, None)
    assert choice.winner.member_id == 3
    assert "fewest open leads is m3" in choice.reason.render("en")


def test_least_loaded_never_assigned_waits_longest():
    now = datetime.now(UTC)
    members = [member(1, last=now - timedelta(days=3)), member(2, last=None)]
    assert choose("LEAST_LOADED", "OFFLINE", members, None).winner.member_id == 2
