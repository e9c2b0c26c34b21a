"""The late-lever watch's ledger (supervisor/late_levers.py): what is undone, and until when."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.calibration import PlanItem
from custom_components.eg4.model import ChargerPriority, SettingKey, SystemState
from custom_components.eg4.supervisor.late_levers import LateLevers

CHARGER = SettingKey.CHARGER_PRIORITY
CURRENT = SettingKey.MAX_CHARGE_CURRENT
STOP_SOC = SettingKey.AC_CHARGE_SOC_LIMIT
WATCH_S = 900.0


def item(setting: SettingKey, unit: int, saved: object, lever: object) -> PlanItem:
    """A run's item: ``saved`` before the run, ``lever`` while it ran."""
    return PlanItem(setting=setting, unit=unit, from_value=saved, to_value=lever)  # type: ignore[arg-type]


def reading(**units: dict[SettingKey, object]) -> SystemState:
    """Two units reading back the given settings (``u1=...``, ``u2=...``)."""
    state = SystemState.empty(2, 0)
    for name, settings in units.items():
        state.inverters[int(name[1:])].settings.update(settings)  # type: ignore[arg-type]
    return state


def test_a_landed_lever_is_put_back_to_the_value_saved_before_its_run() -> None:
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 20.0), item(CURRENT, 2, 80.0, 20.0)], 0.0, WATCH_S)
    assert late.landed(reading(u1={CURRENT: 80.0}, u2={CURRENT: 80.0}), ()) == []
    assert late.landed(reading(u1={CURRENT: 20.0}, u2={CURRENT: 80.0}), ()) == [
        item(CURRENT, 1, 20.0, 80.0)
    ]


def test_a_lever_the_run_did_not_change_is_not_watched() -> None:
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 80.0)], 0.0, WATCH_S)
    assert not late
    assert late.settings() == frozenset()
    assert late.export() is None


def test_a_second_run_adds_its_levers_and_keeps_the_first_ones() -> None:
    """The defect: the second run's end replaced the first run's watch."""
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 20.0)], 0.0, WATCH_S)
    late.add(
        [item(CHARGER, 1, ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_AND_UTILITY)],
        300.0,
        WATCH_S,
    )
    assert late.settings() == {CURRENT, CHARGER}
    assert late.until == 1200.0  # the later of the two watches
    assert late.landed(reading(u1={CURRENT: 20.0}), ()) == [item(CURRENT, 1, 20.0, 80.0)]


def test_two_runs_that_set_one_setting_to_two_values_are_both_watched() -> None:
    late = LateLevers()
    late.add([item(STOP_SOC, 1, 90.0, 100.0)], 0.0, WATCH_S)
    late.add([item(STOP_SOC, 1, 90.0, 95.0)], 60.0, WATCH_S)
    assert late.landed(reading(u1={STOP_SOC: 100.0}), ()) == [item(STOP_SOC, 1, 100.0, 90.0)]
    assert late.landed(reading(u1={STOP_SOC: 95.0}), ()) == [item(STOP_SOC, 1, 95.0, 90.0)]


def test_the_watch_runs_out_and_an_expired_one_is_not_extended_by_the_next() -> None:
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 20.0)], 0.0, WATCH_S)
    assert not late.expire(WATCH_S)
    late.add([item(STOP_SOC, 1, 90.0, 100.0)], WATCH_S + 1, WATCH_S)
    assert late.settings() == {STOP_SOC}  # the first run's watch had run out
    assert late.expire(2 * WATCH_S + 2)
    assert not late
    assert late.settings() == frozenset()


def test_a_setting_a_run_holds_now_is_its_own_not_a_late_one() -> None:
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 20.0)], 0.0, WATCH_S)
    assert late.landed(reading(u1={CURRENT: 20.0}), [CURRENT]) == []


def test_a_setting_the_owner_wrote_is_theirs() -> None:
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 20.0), item(STOP_SOC, 2, 90.0, 100.0)], 0.0, WATCH_S)
    late.forget(CURRENT)
    assert late.settings() == {STOP_SOC}


def test_a_unit_that_does_not_report_the_setting_has_nothing_landed() -> None:
    late = LateLevers()
    late.add([item(CURRENT, 3, 80.0, 20.0)], 0.0, WATCH_S)  # a unit the state does not have
    assert late.landed(reading(u1={CURRENT: 20.0}), ()) == []


@given(
    st.lists(
        st.tuples(
            st.sampled_from([CURRENT, STOP_SOC]),
            st.integers(1, 2),
            st.sampled_from([10.0, 20.0, 80.0, 90.0, 100.0]),
            st.sampled_from([10.0, 20.0, 80.0, 90.0, 100.0]),
        ),
        max_size=8,
    ),
    st.floats(0, 1e6),
    st.floats(0, 2000),
)
def test_a_stored_watch_resumes_as_it_was(
    items: list[tuple[SettingKey, int, float, float]], now: float, later: float
) -> None:
    late = LateLevers()
    late.add([item(*i) for i in items], now, WATCH_S)
    stored = json.loads(json.dumps(late.export()))  # through JSON, as the store keeps it
    resumed = LateLevers.resume(stored, now + later)
    if not late or now + later > late.until:
        assert not resumed
    else:
        assert resumed == late


@given(
    st.lists(
        st.tuples(
            st.sampled_from([CURRENT, STOP_SOC]),
            st.integers(1, 2),
            st.sampled_from([10.0, 20.0, 80.0]),
            st.sampled_from([90.0, 100.0]),
            st.booleans(),
        ),
        max_size=8,
    ),
    st.floats(0, 2000),
)
def test_a_stored_watch_resumes_its_stuck_levers_whenever(
    items: list[tuple[SettingKey, int, float, float, bool]], later: float
) -> None:
    """Within the watch all of it comes back; after it, exactly the stuck levers."""
    late = LateLevers()
    late.add([item(*i[:4]) for i in items], 0.0, WATCH_S)
    late.stick([item(k, u, lever, saved) for k, u, saved, lever, stuck in items if stuck])
    stored = json.loads(json.dumps(late.export()))
    resumed = LateLevers.resume(stored, later)
    if later <= WATCH_S:
        assert resumed == late
    else:
        assert resumed.stuck == late.stuck
        assert set(resumed.saved) == late.stuck


def test_a_stored_watch_resumes_while_the_live_one_would_still_run() -> None:
    """At its last instant the live watch still runs (``expire`` says no), so a reload then
    resumes it; an instant later both have run out."""
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 20.0)], 0.0, WATCH_S)
    stored = late.export()
    assert not late.expire(WATCH_S)
    assert LateLevers.resume(stored, WATCH_S) == late
    assert not LateLevers.resume(stored, WATCH_S + 0.001)
    assert late.expire(WATCH_S + 0.001)


def test_unreadable_stored_data_resumes_nothing() -> None:
    for raw in (None, [], {"items": "x"}, {"until": True, "items": []}, {"until": 5, "items": [1]}):
        assert not LateLevers.resume(raw, 0.0)


STUCK = item(CURRENT, 1, 20.0, 80.0)  # a landed lever (20 A) to put back to 80 A


def stuck_watch() -> LateLevers:
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 20.0), item(STOP_SOC, 2, 90.0, 100.0)], 0.0, WATCH_S)
    late.stick([STUCK])
    return late


def test_a_stuck_lever_outlives_the_watch_and_the_others_do_not() -> None:
    late = stuck_watch()
    assert late.expire(WATCH_S + 1)  # the unstuck one is forgotten
    assert late.settings() == {CURRENT}
    assert late.stuck_names() == ["inverter 1 max_charge_current"]
    assert late.landed(reading(u1={CURRENT: 20.0}), ()) == [STUCK]
    assert not late.expire(WATCH_S + 2)  # nothing more to forget
    late.unstick([STUCK])  # its undo confirmed
    assert late.expire(WATCH_S + 3)
    assert not late


def test_sticking_says_whether_a_lever_is_newly_stuck() -> None:
    """(The watch stores the ledger when it is: a restart must know the lever.)"""
    late = LateLevers()
    late.add([item(CURRENT, 1, 80.0, 20.0), item(CURRENT, 2, 80.0, 20.0)], 0.0, WATCH_S)
    assert late.stick([STUCK])
    assert not late.stick([STUCK])
    assert late.stick([STUCK, item(CURRENT, 2, 20.0, 80.0)])
    assert not late.stick([item(CURRENT, 2, 20.0, 80.0)])


def test_a_stuck_lever_read_back_as_another_value_is_off() -> None:
    late = stuck_watch()
    assert not late.unstick_gone(reading(u1={CURRENT: 20.0}), ())  # still on
    assert not late.unstick_gone(reading(u2={CURRENT: 80.0}), ())  # unit 1 says nothing
    assert not late.unstick_gone(reading(u1={CURRENT: 80.0}), [CURRENT])  # a run holds it
    assert late.unstick_gone(reading(u1={CURRENT: 80.0}), ())
    assert late.stuck_names() == []


def test_two_stuck_levers_of_one_setting_are_named_once() -> None:
    """Two runs set one setting to two values, both stuck: the owner reads it once."""
    late = LateLevers()
    late.add([item(STOP_SOC, 1, 90.0, 100.0)], 0.0, WATCH_S)
    late.add([item(CHARGER, 1, ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_ONLY)], 0, 1)
    late.stick([item(STOP_SOC, 1, 100.0, 90.0), item(STOP_SOC, 1, 95.0, 90.0)])
    late.stick([item(CHARGER, 1, ChargerPriority.SOLAR_ONLY, ChargerPriority.SOLAR_FIRST)])
    assert late.stuck_names() == [
        "inverter 1 ac_charge_soc_limit",
        "inverter 1 charger_priority",
    ]


def test_a_setting_the_owner_wrote_is_not_stuck_any_more() -> None:
    late = stuck_watch()
    late.forget(CURRENT)
    assert late.stuck_names() == []
    assert late.settings() == {STOP_SOC}


def test_a_stored_stuck_lever_resumes_after_the_watch_ran_out() -> None:
    late = stuck_watch()
    stored = json.loads(json.dumps(late.export()))
    resumed = LateLevers.resume(stored, 10 * WATCH_S)  # long after the watch
    assert resumed.stuck_names() == ["inverter 1 max_charge_current"]
    assert resumed.settings() == {CURRENT}
    assert resumed.landed(reading(u1={CURRENT: 20.0}), ()) == [STUCK]
    assert LateLevers.resume(stored, 0.0) == late  # within the watch: all of it


@pytest.mark.parametrize("stuck", [None, "1", [2], [7], [True], [-1], {"a": 1}])
def test_unreadable_stuck_marks_resume_nothing_stuck(stuck: object) -> None:
    stored = stuck_watch().export()
    assert stored is not None
    stored["stuck"] = stuck
    resumed = LateLevers.resume(stored, 0.0)
    assert resumed.stuck_names() == []
