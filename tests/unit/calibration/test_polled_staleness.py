"""Staleness of a polled source follows its poll interval (issue 11).

A cloud entry polled every 300 s could never calibrate: the run's fixed 180 s bound called
every pack stale between two polls. ``Limits.poll_interval_s`` carries the transport's poll
interval into the run; the bound becomes three missed polls (as the coordinator's own stale
timeout), never more than ``POLLED_STALE_CEILING_S``.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.model import SystemState
from custom_components.eg4.refusal import RefusedError
from custom_components.eg4.safety import (
    POLL_INTERVAL_CEILING_S,
    POLLED_STALE_CEILING_S,
    STALE_CEILING_S,
    BreachReason,
    Check,
    Limits,
    breaches,
    preflight,
)

from ..helpers import inv, pack
from .factory import HEALTHY, T0, bank, feed

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)
CLOUD = Limits(poll_interval_s=300)


def poll(state: SystemState, now: float) -> None:
    """One cloud poll: every source, every reading."""
    for n in state.packs:
        feed(state, now, pack(n), **HEALTHY)
    for n in state.inverters:
        feed(state, now, inv(n), heartbeat=1.0)


def coordinator_stale_timeout(option: float, poll_interval: float) -> float:
    """What the coordinator computes for a polled entry (coordinator.py)."""
    return max(option, 3 * poll_interval)


def test_a_cloud_entry_polled_every_300_s_passes_the_preflight_just_before_a_poll() -> None:
    state = bank(4)
    entry = coordinator_stale_timeout(180, 300)
    assert preflight(state, now=T0 + 299, limits=CLOUD, stale_after_s=entry) == []


def test_a_run_on_a_300_s_poll_is_never_stale_while_the_polls_arrive() -> None:
    """Three hours of polls, judged every 10 s as the supervisor's tick does."""
    state = bank(4)
    last_poll = T0
    for step in range(1, 3 * 360 + 1):
        now = T0 + 10 * step
        if now - last_poll >= 300:
            poll(state, now)
            last_poll = now
        assert breaches(state, now=now, limits=CLOUD) == [], now


def test_missed_polls_still_end_the_run() -> None:
    state = bank(4)
    assert breaches(state, now=T0 + 899, limits=CLOUD) == []  # two missed polls: not yet
    found = breaches(state, now=T0 + 901, limits=CLOUD)
    assert {b.reason for b in found} == {BreachReason.TELEMETRY_STALE}
    assert found[0].limit == "900 s"


def test_a_frozen_reading_of_a_polled_source_is_judged_on_the_same_bound() -> None:
    state = bank(2)
    for now in (T0 + 300, T0 + 600, T0 + 900):
        feed(state, now, pack(1), **HEALTHY)
        feed(state, now, pack(2), **{k: v for k, v in HEALTHY.items() if k != "cell_voltage_max"})
        feed(state, now, inv(1), heartbeat=1.0)
        feed(state, now, inv(2), heartbeat=1.0)
    assert breaches(state, now=T0 + 900, limits=CLOUD) == []
    feed(state, T0 + 1200, pack(1), **HEALTHY)
    found = breaches(state, now=T0 + 1200, limits=CLOUD)
    assert [(b.source, b.value) for b in found] == [("pack_2 cell_voltage_max", "1200 s")]


@pytest.mark.parametrize(
    ("poll_interval", "stale_after_s", "bound"),
    [
        (0, 180, 180),  # push: the limits' bound
        (30, 180, 180),  # a fast poll keeps the limits' bound
        (60, 180, 180),  # 3 x 60 = 180
        (100, 180, 300),
        (300, 180, 900),  # the cloud case of the issue
        (300, 60, 900),  # a stricter user bound cannot beat the source's cadence
        (400, 180, POLLED_STALE_CEILING_S),  # 1200 capped
        (600, 180, POLLED_STALE_CEILING_S),  # the longest scan interval the options allow
    ],
)
def test_the_bound_of_a_run(poll_interval: float, stale_after_s: float, bound: float) -> None:
    limits = Limits(poll_interval_s=poll_interval, stale_after_s=stale_after_s)
    assert limits.effective_stale_after(None) == bound


@pytest.mark.parametrize(
    ("poll_interval", "option", "bound"),
    [
        (0, 60, 60),  # push: the entry's stricter option wins, as before
        (0, 3600, 180),  # push: the entry's looser option never loosens the run
        (300, 180, 900),  # polled: the coordinator's 3 x 300 = 900
        (60, 1200, 180),  # a loose option does not loosen a fast poll's bound
        (600, 180, POLLED_STALE_CEILING_S),
    ],
)
def test_the_preflight_bound_with_the_entrys_stale_timeout(
    poll_interval: float, option: float, bound: float
) -> None:
    limits = Limits(poll_interval_s=poll_interval)
    caller = coordinator_stale_timeout(option, poll_interval) if poll_interval else option
    assert limits.effective_stale_after(caller) == bound


def test_the_ceilings() -> None:
    assert POLLED_STALE_CEILING_S == 900
    assert POLL_INTERVAL_CEILING_S == 600
    assert STALE_CEILING_S == 600
    assert Limits().poll_interval_s == 0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (-1, "below_floor"),
        (601, "above_ceiling"),
        (math.nan, "not_a_number"),
        (math.inf, "not_a_number"),
        (True, "not_a_number"),
        ("300", "not_a_number"),
    ],
)
def test_a_poll_interval_that_makes_no_sense_is_refused(value: object, reason: str) -> None:
    with pytest.raises(RefusedError) as info:
        Limits(poll_interval_s=value)  # type: ignore[arg-type]
    assert info.value.translation_key == f"limit_{reason}"
    assert info.value.translation_placeholders["field"] == "poll_interval_s"


def test_round_trip_and_records_stored_before_the_field_existed() -> None:
    data = CLOUD.to_dict()
    assert data["poll_interval_s"] == 300.0
    assert Limits.from_dict(data) == CLOUD
    older = {k: v for k, v in data.items() if k != "poll_interval_s"}
    assert Limits.from_dict(older).poll_interval_s == 0


def test_a_preflight_that_passes_is_not_stale_on_the_runs_first_update() -> None:
    state = bank(4)
    now = T0 + 850
    caller = coordinator_stale_timeout(180, 300)
    assert preflight(state, now=now, limits=CLOUD, stale_after_s=caller) == []
    assert breaches(state, now=now, limits=CLOUD) == []


@PROPERTY
@given(
    poll=st.one_of(st.just(0.0), st.floats(min_value=1, max_value=POLL_INTERVAL_CEILING_S)),
    stale=st.floats(min_value=5, max_value=STALE_CEILING_S),
    option=st.floats(min_value=30, max_value=3600),
)
def test_the_preflight_is_never_looser_than_the_run(
    poll: float, stale: float, option: float
) -> None:
    """Whatever the entry passes, a pre-flight that passes does not go stale at the start.

    And a polled source always gets at least one poll interval of slack, a push source never
    more than its limits' bound, and nothing ever waits past the polled ceiling.
    """
    limits = Limits(poll_interval_s=poll, stale_after_s=stale)
    caller = coordinator_stale_timeout(option, poll) if poll else option
    run_bound = limits.effective_stale_after(None)
    preflight_bound = limits.effective_stale_after(caller)
    assert preflight_bound <= run_bound
    assert run_bound <= max(POLLED_STALE_CEILING_S, stale)
    if poll:
        assert preflight_bound >= min(poll, POLLED_STALE_CEILING_S)
    else:
        assert run_bound == stale
        assert preflight_bound == min(stale, option)


def test_a_push_entrys_bound_is_unchanged() -> None:
    state = bank(2)
    failures = preflight(state, now=T0 + 181)
    assert [f.check for f in failures] == [Check.TELEMETRY_STALE]
    assert failures[0].placeholders["limit"] == "180"


def test_limits_for_a_transports_poll_interval() -> None:
    """What the supervisor does with ``transport.poll_interval`` (a timedelta or None)."""
    strict = Limits(cell_voltage_max=3.55)
    polled = strict.with_poll_interval(300.0)
    assert polled == Limits(cell_voltage_max=3.55, poll_interval_s=300)
    assert polled.effective_stale_after(None) == 900
    assert strict.with_poll_interval(None) == strict
    assert polled.with_poll_interval(0) == strict
    with pytest.raises(RefusedError) as info:
        strict.with_poll_interval(3600.0)
    assert info.value.translation_key == "limit_above_ceiling"
