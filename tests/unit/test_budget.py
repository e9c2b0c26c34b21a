"""The write budget (budget.py): a sliding hour of the owner's writes, and the day's counts."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.budget import DEFAULT_PER_HOUR, WINDOW_S, WriteBudget

DAY = date(2026, 12, 6)

# A flapping automation: writes at irregular gaps (0 s to 20 min), some the calibration's.
WRITES = st.lists(
    st.tuples(st.floats(min_value=0, max_value=1200, allow_nan=False), st.booleans()),
    max_size=300,
)


def _drive(budget: WriteBudget, writes: list[tuple[float, bool]]) -> list[tuple[float, bool]]:
    """Offer each (gap, owner's?) write as the writer does; the (time, owner's?) let through."""
    now = 0.0
    sent: list[tuple[float, bool]] = []
    for gap, owners in writes:
        now += gap
        if owners and budget.next_allowed(now) is not None:
            continue  # refused: nothing sent, nothing counted
        budget.record("max_charge_current", now, DAY, budgeted=owners)
        sent.append((now, owners))
    return sent


@given(per_hour=st.integers(min_value=1, max_value=10), writes=WRITES)
def test_no_hour_ever_holds_more_owner_writes_than_the_budget(
    per_hour: int, writes: list[tuple[float, bool]]
) -> None:
    """Whatever the rhythm, any one-hour span holds at most ``per_hour`` of the owner's writes."""
    owner_times = [t for t, owners in _drive(WriteBudget(per_hour), writes) if owners]
    for i, start in enumerate(owner_times):
        in_hour = [t for t in owner_times[i:] if t < start + WINDOW_S]
        assert len(in_hour) <= per_hour


@given(per_hour=st.integers(min_value=1, max_value=10), writes=WRITES)
def test_a_refusal_only_when_the_last_hour_used_the_whole_budget(
    per_hour: int, writes: list[tuple[float, bool]]
) -> None:
    """Never stricter than promised: a refused write had ``per_hour`` owner writes before it
    within the hour, and it is allowed exactly when the oldest of them leaves the window."""
    budget = WriteBudget(per_hour)
    now = 0.0
    owner_times: list[float] = []
    for gap, owners in writes:
        now += gap
        allowed_at = budget.next_allowed(now)
        recent = [t for t in owner_times if t + WINDOW_S > now]
        if allowed_at is None:
            assert len(recent) < per_hour
        else:
            assert len(recent) == per_hour
            assert allowed_at == recent[0] + WINDOW_S
            assert copy.deepcopy(budget).next_allowed(allowed_at) is None  # (probes the future)
            if owners:
                continue
        budget.record("output_priority", now, DAY, budgeted=owners)
        if owners:
            owner_times.append(now)


@given(writes=WRITES)
def test_the_calibration_is_never_refused_and_never_fills_the_budget(
    writes: list[tuple[float, bool]],
) -> None:
    """Writes that are not the owner's all go through, and leave the owner's budget whole."""
    calibration_only = [(gap, False) for gap, _ in writes]
    budget = WriteBudget(1)
    assert len(_drive(budget, calibration_only)) == len(writes)
    assert budget.next_allowed(1e9) is None
    assert budget.used(1e9) == 0


@given(writes=WRITES)
def test_a_budget_of_zero_is_no_limit(writes: list[tuple[float, bool]]) -> None:
    """0 turns the budget off: every write goes, and nothing is kept for a window."""
    budget = WriteBudget(0)
    assert len(_drive(budget, writes)) == len(writes)
    assert budget.used(0) == 0


def test_the_61st_write_in_an_hour_is_refused_until_the_first_leaves() -> None:
    """The default: 60 an hour; the 61st waits for the hour of the first to pass."""
    assert DEFAULT_PER_HOUR == 60
    budget = WriteBudget(DEFAULT_PER_HOUR)
    for n in range(60):
        assert budget.next_allowed(n * 10.0) is None
        budget.record("charger_priority", n * 10.0, DAY, budgeted=True)
    assert budget.next_allowed(600.0) == WINDOW_S
    assert budget.next_allowed(WINDOW_S - 0.001) == WINDOW_S
    assert budget.next_allowed(WINDOW_S) is None
    assert budget.used(WINDOW_S) == 59


def test_counts_per_setting_start_again_each_day() -> None:
    """The day's writes per setting, the calibration's included; a new day starts from zero."""
    budget = WriteBudget(60)
    budget.record("output_priority", 0, DAY, budgeted=True)
    budget.record("output_priority", 1, DAY, budgeted=False)
    budget.record("max_charge_current", 2, DAY, budgeted=True)
    assert budget.today(DAY) == {"output_priority": 2, "max_charge_current": 1}
    tomorrow = DAY + timedelta(days=1)
    assert budget.today(tomorrow) == {}  # nothing written yet on the new day
    budget.record("charger_priority", 3, tomorrow, budgeted=False)
    assert budget.today(tomorrow) == {"charger_priority": 1}
    assert budget.today(DAY) == {}  # yesterday's counts are gone


@pytest.mark.parametrize("per_hour", [-5, 0])
def test_a_budget_below_one_is_off(per_hour: int) -> None:
    """A zero (or a nonsensical negative) budget refuses nothing."""
    budget = WriteBudget(per_hour)
    for n in range(500):
        budget.record("max_charge_current", float(n), DAY, budgeted=True)
    assert budget.per_hour == 0
    assert budget.next_allowed(500.0) is None


# ---- kept across a restart ---------------------------------------------------------------

# The monotonic clock restarts with Home Assistant; the wall clock does not.
WALL = 1_796_000_000.0  # some wall-clock instant (epoch seconds)


def test_a_restored_budget_keeps_the_hour_and_the_day() -> None:
    """What one set-up counted is still counted by the next: the owner's writes of the last
    hour still fill the window (on the next set-up's own clock), and today's counts go on."""
    before = WriteBudget(3)
    for n in range(3):
        before.record("max_charge_current", 100.0 + n * 60, DAY, budgeted=True)
    before.record("output_priority", 300.0, DAY, budgeted=False)  # a calibration's
    saved = before.to_dict(now=400.0, wall=WALL)

    after = WriteBudget(3)  # a restart: the monotonic clock starts again near zero
    after.restore(saved, now=5.0, wall=WALL + 60)
    assert after.today(DAY) == {"max_charge_current": 3, "output_priority": 1}
    assert after.used(5.0) == 3
    # The first write was 360 s (+60 s down) before this set-up's clock read 5.0.
    assert after.next_allowed(5.0) == pytest.approx(5.0 - 360 + WINDOW_S)
    assert after.next_allowed(5.0 - 360 + WINDOW_S) is None


def test_a_restore_drops_what_left_the_hour_and_ignores_what_it_cannot_read() -> None:
    """Writes older than an hour are gone; a damaged or foreign record restores what it can
    and never raises; a write stamped in the future (the wall clock went back) counts now."""
    budget = WriteBudget(5)
    budget.restore(
        {
            "window": [WALL - WINDOW_S - 1, "x", None, WALL - 10, WALL + 600],
            "day": DAY.isoformat(),
            "today": {"max_charge_current": 2, "bad": "many", "output_priority": -3},
        },
        now=50.0,
        wall=WALL,
    )
    assert budget.used(50.0) == 2
    assert budget.next_allowed(50.0) is None
    assert budget.today(DAY) == {"max_charge_current": 2}
    for damaged in (None, [], "x", {"window": "x", "day": 7, "today": []}, {"day": "not a day"}):
        fresh = WriteBudget(5)
        fresh.restore(damaged, now=0.0, wall=WALL)
        assert fresh.used(0.0) == 0
        assert fresh.today(DAY) == {}


def test_the_saved_record_is_plain_data() -> None:
    """What is saved is JSON-ready: wall-clock instants, the ISO day, counts per setting."""
    budget = WriteBudget(60)
    budget.record("charger_priority", 10.0, DAY, budgeted=True)
    budget.record("charger_priority", 20.0, DAY, budgeted=False)
    assert budget.to_dict(now=30.0, wall=WALL) == {
        "window": [WALL - 20.0],
        "day": "2026-12-06",
        "today": {"charger_priority": 2},
    }
    assert WriteBudget(0).to_dict(now=0.0, wall=WALL) == {"window": [], "day": None, "today": {}}


@given(
    per_hour=st.integers(min_value=1, max_value=10),
    writes=WRITES,
    down=st.floats(min_value=0, max_value=2 * WINDOW_S, allow_nan=False),
    restart_clock=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_a_restart_changes_no_decision_of_the_budget(
    per_hour: int, writes: list[tuple[float, bool]], down: float, restart_clock: float
) -> None:
    """Saved, Home Assistant down for ``down`` seconds, restored on a clock that starts again
    anywhere: the restored budget refuses and allows exactly what the old one would have at
    the same wall-clock instants, and counts the same day."""
    before = WriteBudget(per_hour)
    _drive(before, writes)
    end = sum(gap for gap, _ in writes)
    after = WriteBudget(per_hour)
    after.restore(before.to_dict(now=end, wall=WALL), now=restart_clock, wall=WALL + down)
    assert after.today(DAY) == before.today(DAY)
    for probe in (0.0, 1.0, 60.0, WINDOW_S / 2, WINDOW_S):
        old = before.next_allowed(end + down + probe)
        new = after.next_allowed(restart_clock + probe)
        if old is None:
            assert new is None
        else:
            assert new == pytest.approx(old - end - down + restart_clock)
