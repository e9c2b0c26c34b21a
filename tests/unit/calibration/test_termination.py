"""When a calibration may call the bank re-anchored (calibration/judge.py through the machine).

Every pack at or above 99 % is not enough: the taper must have finished, every pack's cells must
be back together, a lagging pack holds the run (max_duration bounds it) and is named when the
run ends without it, a pack cut off by its BMS is not counted, and a counter pinned at its
ceiling is not a re-anchor.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration import (
    EnterPhase,
    Finish,
    Method,
    Outcome,
    PackTally,
    Phase,
    RunConfig,
    StartRevert,
    StopReason,
)
from custom_components.eg4.calibration.result import SUPERVISED_PHASES

from .rig import ABSORB, ANCHORED, BULK, TAPER, Rig

PROPERTY = settings(max_examples=120, deadline=None, derandomize=True)
# A top charge with pack 4's cells still 30 mV apart (the others within 10 mV).
APART: dict[str, Any] = {**ANCHORED, "cell_voltage_min": [3.49, 3.49, 3.49, 3.47]}


def reverting(rig: Rig, reason: StopReason) -> list[object]:
    return [EnterPhase(Phase.REVERTING), StartRevert(reason, rig.run.revert_items)]


def until_stopped(rig: Rig, metrics: dict[str, Any], limit_s: float) -> list[object]:
    """Feed ``metrics`` every minute until the run leaves its supervised phases."""
    actions: list[object] = []
    start = rig.now
    while rig.run.phase in SUPERVISED_PHASES:
        assert rig.now - start < limit_s, f"still {rig.run.phase} after {limit_s} s"
        actions += rig.tick(60, **metrics)
    return actions


# ---- the cells must be back together ---------------------------------------------------------


def test_no_success_while_a_pack_has_its_cells_apart() -> None:
    rig = Rig().verifying()
    assert rig.hold(1200, **APART) == []
    assert not rig.run.verified
    assert rig.run.cell_delta_after_mv == 30.0
    actions = rig.hold(rig.run.config.verify_hold_s + 60, **ANCHORED)
    assert actions == reverting(rig, StopReason.COMPLETED)
    assert rig.run.cell_delta_after_mv == 10.0


def test_the_cell_difference_limit_is_configurable() -> None:
    rig = Rig(config=RunConfig(reanchor_cell_delta_mv=40.0)).verifying()
    assert rig.hold(600, **APART) == reverting(rig, StopReason.COMPLETED)


def test_unknown_cell_difference_is_no_termination() -> None:
    rig = Rig().verifying()
    for pack in rig.state.packs.values():
        pack.metrics.pop("cell_voltage_delta")
    rig.state.packs[2].metrics.pop("cell_voltage_min")
    metrics = {**ANCHORED, "cell_voltage_min": [3.49, None, 3.49, 3.49]}
    rig.hold(1200, **metrics)
    assert not rig.run.verified
    # Never counted as terminated; and a cell reading that stays silent stops the run.
    assert rig.run.reason in (None, StopReason.TELEMETRY_STALE)
    if rig.run.reason is StopReason.TELEMETRY_STALE:
        assert "pack_2 cell_voltage_min" in rig.run.detail


# ---- a lagging pack holds the run ------------------------------------------------------------


def test_a_lagging_pack_extends_the_hold_past_the_verify_timeout() -> None:
    rig = Rig().verifying()
    lagging = {**ANCHORED, "soc": [100.0, 100.0, 100.0, 95.0]}
    assert rig.hold(rig.run.config.verify_timeout_s + 1200, **lagging) == []
    assert rig.run.phase is Phase.VERIFYING
    assert rig.run.packs == PackTally(reanchored=(1, 2, 3), behind=(4,))
    # It catches up: the run succeeds.
    actions = rig.hold(rig.run.config.verify_hold_s + 60, **ANCHORED)
    assert actions == reverting(rig, StopReason.COMPLETED)
    assert rig.run.revert_confirmed(rig.now, rig.restored())[-1] == Finish(
        Outcome.SUCCEEDED, StopReason.COMPLETED
    )


def test_a_pack_that_never_terminates_is_named_and_the_run_never_succeeds() -> None:
    rig = Rig(config=RunConfig(max_duration_s=4 * 3600)).verifying()
    lagging = {**ANCHORED, "soc": [100.0, 100.0, 100.0, 94.0]}
    actions = until_stopped(rig, lagging, 4 * 3600)
    assert actions == reverting(rig, StopReason.MAX_DURATION)
    assert rig.run.detail.endswith("s; pack_4: behind (94 %, 1 A, 10 mV)")
    assert rig.run.revert_confirmed(rig.now, rig.restored()) == [
        EnterPhase(Phase.ABORTED),
        Finish(Outcome.ABORTED, StopReason.MAX_DURATION),
    ]
    summary = rig.run.summary()
    assert summary["outcome"] == "aborted"
    assert summary["packs_reanchored"] == [1, 2, 3]
    assert summary["packs_behind"] == [4]


def test_a_pack_still_charging_holds_the_absorption_and_is_named() -> None:
    """Its current keeps the taper from finishing: max_duration stops the run and names it."""
    rig = Rig(config=RunConfig(max_duration_s=3 * 3600)).absorption()
    charging = {**ANCHORED, "soc": [100.0, 100.0, 100.0, 97.0], "current": [1.0, 1.0, 1.0, 9.0]}
    actions = until_stopped(rig, charging, 3 * 3600)
    assert actions == reverting(rig, StopReason.MAX_DURATION)
    phases = [entry.phase.value for entry in rig.run.history]
    assert phases == ["preflight", "engaging", "bulk", "absorption", "reverting"]
    assert rig.run.detail.endswith("s; pack_4: behind (97 %, 9 A, 10 mV)")


def test_balancing_progress_extends_the_hold_until_the_cells_are_together() -> None:
    """weeks_at_cap: every pack re-anchored, cells 30 mV apart; the bleed closes 2 mV a step."""
    rig = Rig().verifying()  # its taper: cells 30 mV apart
    timeout = rig.run.config.verify_timeout_s
    for step in range(6):  # 30 -> 20 mV over 6 x 20 min: longer than the timeout
        gap = 0.030 - 0.002 * step
        metrics = {**ANCHORED, "cell_voltage_min": round(3.50 - gap, 3)}
        assert rig.hold(1200, **metrics) == [], step
    assert rig.now - rig.run.verify_started_at > 2 * timeout  # type: ignore[operator]
    assert rig.run.balance_best_mv == 20.0
    actions = rig.hold(rig.run.config.verify_hold_s + 60, **ANCHORED)
    assert actions == reverting(rig, StopReason.COMPLETED)


def test_balancing_that_stalls_is_not_reanchored_and_names_every_pack() -> None:
    rig = Rig().verifying()
    apart = {**ANCHORED, "cell_voltage_min": 3.46}
    actions = until_stopped(rig, apart, 3600)
    assert actions == reverting(rig, StopReason.NOT_REANCHORED)
    assert rig.run.detail.startswith("pack_1: unbalanced (100 %, 1 A, 40 mV); pack_2: unbalanced")


def test_no_pack_terminated_at_the_verify_timeout_is_not_reanchored() -> None:
    rig = Rig().verifying()
    stuck = {**ANCHORED, "soc": 97.0}
    actions = until_stopped(rig, stuck, 3600)
    assert actions == reverting(rig, StopReason.NOT_REANCHORED)
    assert rig.run.detail.startswith("pack_1: behind (97 %, 1 A, 10 mV); pack_2: behind")


def test_the_detail_says_what_keeps_each_pack_from_terminating() -> None:
    rig = Rig(config=RunConfig(max_duration_s=3 * 3600)).verifying()
    mixed = {**ANCHORED, "current": [1.0, 6.0, -3.0, 1.0], "cell_voltage_min": [3.49] * 3 + [3.46]}
    until_stopped(rig, mixed, 3 * 3600)
    assert rig.run.detail.endswith(
        "s; pack_2: charging (100 %, 6 A, 10 mV); pack_3: discharging (100 %, -3 A, 10 mV); "
        "pack_4: unbalanced (100 %, 1 A, 40 mV)"
    )
    assert Phase.SUCCEEDED not in {entry.phase for entry in rig.run.history}


# ---- a pack its BMS cut off ------------------------------------------------------------------


def test_a_pack_reanchored_while_cut_off_is_not_counted() -> None:
    """cell_runaway: pack 2's charge switch opens; its BMS then sets it to 100 % at a true 95 %."""
    rig = Rig().absorption()
    tripped = {**TAPER, "soc": [97.0, 95.0, 97.0, 96.0], "protection": {2: "cell_over_voltage"}}
    assert rig.tick(**tripped) == reverting(rig, StopReason.PROTECTION)
    rig.tick(**{**tripped, "soc": [97.0, 100.0, 97.0, 96.0]})
    rig.tick(**{**ANCHORED, "protection": "", "soc": [97.0, 100.0, 97.0, 96.0]})
    assert rig.run.packs == PackTally(cut_off=(2,), behind=(1, 3, 4))
    assert rig.run.summary()["packs_cut_off"] == [2]


def test_a_cut_off_pack_can_never_count_even_after_its_protection_clears() -> None:
    rig = Rig().verifying()
    rig.tick(**{**ANCHORED, "protection": {3: "cell_over_voltage"}})
    rig.tick(**{**ANCHORED, "protection": ""})
    assert rig.run.packs == PackTally(reanchored=(1, 2, 4), cut_off=(3,))
    assert rig.run.reason is StopReason.PROTECTION
    assert not rig.run.verified


# ---- a counter at its ceiling ----------------------------------------------------------------


def test_a_pack_at_its_ceiling_while_the_others_read_far_lower_is_not_reanchored() -> None:
    """soc_capped: pack 1 drifted high and reads 100 %; a limit ends the charge, cells low."""
    rig = Rig(soc=[100.0, 60.0, 62.0, 58.0]).bulk()
    assert rig.run.packs == PackTally(at_ceiling=(1,), behind=(2, 3, 4))
    stopped = {**BULK, "current": 0.0, "soc": [100.0, 86.0, 88.0, 85.0]}
    actions = until_stopped(rig, stopped, 3600)
    assert actions == reverting(rig, StopReason.CHARGE_STOPPED)
    assert rig.run.detail.startswith("total current 0 A; pack_1: at_ceiling (100 %, 0 A, 10 mV)")
    summary = rig.run.summary()
    assert summary["packs_at_ceiling"] == [1]
    assert summary["packs_behind"] == [2, 3, 4]
    assert summary["packs_reanchored"] == []


# ---- a charge that stops before absorption ---------------------------------------------------


def test_a_charge_that_stops_in_bulk_is_stopped_after_the_engage_timeout() -> None:
    rig = Rig().bulk()
    stopped = {**BULK, "current": [0.5, 0.2, 0.0, 0.1]}
    assert rig.hold(rig.run.config.engage_timeout_s, **stopped) == []
    assert rig.run.stalled_since is not None
    actions = until_stopped(rig, stopped, 600)
    assert actions == reverting(rig, StopReason.CHARGE_STOPPED)
    assert rig.run.detail.startswith("total current 0.8 A; pack_1: behind (76 %, 0.5 A, 10 mV)")


def test_a_pause_shorter_than_the_engage_timeout_is_no_stop() -> None:
    rig = Rig().bulk()
    assert rig.hold(540, **{**BULK, "current": 0.0}) == []
    assert rig.tick(**BULK) == []
    assert rig.run.stalled_since is None
    assert rig.hold(540, **{**BULK, "current": 0.0}) == []
    assert rig.run.phase is Phase.BULK


def test_the_stall_edges_the_engage_current_and_exactly_the_engage_timeout() -> None:
    """A bank charging at exactly the engage current (5 A) is charging; a stall lasting
    exactly the engage timeout is not yet a stop, one more second is."""
    rig = Rig().bulk()
    assert rig.hold(1200, **{**BULK, "current": 1.25}) == []  # 4 x 1.25 A = 5 A
    assert rig.run.stalled_since is None
    stalled = {**BULK, "current": 0.0}
    rig.tick(60, **stalled)
    since = rig.run.stalled_since
    assert since is not None
    assert rig.tick(rig.run.config.engage_timeout_s, **stalled) == []
    assert rig.now - since == rig.run.config.engage_timeout_s
    assert rig.tick(1, **stalled) == reverting(rig, StopReason.CHARGE_STOPPED)


def test_a_message_without_cell_readings_keeps_the_highest_cell_seen() -> None:
    """The result's highest cell is the highest of the run, not the last message's."""
    rig = Rig().absorption()
    assert rig.run.max_cell_voltage == 3.47
    for pack in rig.state.packs.values():
        del pack.metrics["cell_voltage_max"]
    rig.run.on_update(rig.state, rig.now + 1)
    assert rig.run.max_cell_voltage == 3.47


def test_the_solar_method_waits_through_a_cloud() -> None:
    rig = Rig(method=Method.SOLAR)
    rig.run.start(rig.now)
    rig.tick(**BULK)
    assert rig.run.phase is Phase.BULK
    assert rig.hold(3 * 3600, **{**BULK, "current": 0.0}) == []
    assert rig.run.phase is Phase.BULK


def test_high_cells_under_full_current_are_no_full_condition() -> None:
    """band_oscillation: drifted-high pack 4 reads 100 % while absorbing at 12 A; pack 2 trips.

    Its cells are in the absorption region, but its BMS has not seen a taper: at its ceiling.
    """
    rig = Rig(soc=[60.0, 62.0, 58.0, 100.0]).bulk()
    absorbing = {**ABSORB, "soc": [90.0, 91.0, 89.0, 100.0]}
    rig.tick(**absorbing)
    assert rig.run.phase is Phase.ABSORPTION
    tripped = {**absorbing, "protection": {2: "cell_over_voltage"}}
    assert rig.tick(**tripped) == reverting(rig, StopReason.PROTECTION)
    assert rig.run.packs == PackTally(at_ceiling=(4,), cut_off=(2,), behind=(1, 3))


def test_a_pack_whose_cells_never_reached_absorption_holds_the_run() -> None:
    """Pack 4 reads 100 % but its own cells stayed at 3.44 V: at its ceiling, never success."""
    rig = Rig(config=RunConfig(max_duration_s=3 * 3600)).bulk()
    low = {"cell_voltage_max": [3.47, 3.47, 3.47, 3.44], "cell_voltage_min": 3.43}
    rig.tick(**{**ABSORB, **low})
    rig.hold(rig.run.config.taper_hold_s + 60, **{**TAPER, **low})
    assert rig.run.phase is Phase.VERIFYING
    top = {**ANCHORED, "cell_voltage_max": [3.50, 3.50, 3.50, 3.44], "cell_voltage_min": 3.43}
    top["cell_voltage_min"] = [3.49, 3.49, 3.49, 3.43]
    actions = until_stopped(rig, top, 3 * 3600)
    assert actions == reverting(rig, StopReason.MAX_DURATION)
    assert rig.run.detail.endswith("s; pack_4: at_ceiling (100 %, 1 A, 10 mV)")
    assert rig.run.packs == PackTally(reanchored=(1, 2, 3), at_ceiling=(4,))


def test_a_full_charge_reanchors_every_pack() -> None:
    rig = Rig()
    rig.verified()
    assert rig.run.packs == PackTally(reanchored=(1, 2, 3, 4))
    assert rig.run.summary()["packs_reanchored"] == [1, 2, 3, 4]


# ---- the pack voltages must agree: within 0.1 V, as the README says ---------------------------


def test_pack_voltages_one_tenth_of_a_volt_apart_agree() -> None:
    """A bridge that reports 0.1 V steps shows agreeing packs 0 or 0.1 V apart: 55.5 and 55.6
    (0.10000000000000142 in floats) is within the 0.1 V the README promises, the drift check
    and the pre-flight allow, so the run succeeds."""
    rig = Rig()
    rig.verifying()
    actions = rig.hold(
        rig.run.config.verify_hold_s + 60, **{**ANCHORED, "voltage": [55.6, 55.5, 55.6, 55.5]}
    )
    assert rig.run.verified
    assert actions == reverting(rig, StopReason.COMPLETED)
    assert rig.run.packs == PackTally(reanchored=(1, 2, 3, 4))


def test_pack_voltages_further_apart_hold_the_run_and_are_named_at_its_end() -> None:
    """Every pack terminated, the voltages 0.12 V apart: the run holds, and when the maximum
    duration ends it, its detail says what held it (not an empty list of packs)."""
    rig = Rig(config=RunConfig(max_duration_s=4 * 3600))
    rig.verifying()
    apart = {**ANCHORED, "voltage": [55.62, 55.5, 55.6, 55.5]}
    rig.hold(rig.run.config.verify_hold_s + 60, **apart)
    assert rig.run.phase is Phase.VERIFYING
    assert rig.run.reanchor_since is None
    until_stopped(rig, apart, limit_s=4 * 3600)
    assert rig.run.reason is StopReason.MAX_DURATION
    assert rig.run.detail == "14420 s; pack voltages 0.12 V apart (at most 0.1 V)"


def test_a_run_ended_while_holding_a_reanchored_bank_has_nothing_to_name() -> None:
    """The maximum duration ends the verification hold of a bank that is re-anchored: the
    detail is the time alone, with no empty list after it."""
    rig = Rig(config=RunConfig(max_duration_s=3600, verify_hold_s=3600))
    rig.verifying()
    until_stopped(rig, ANCHORED, limit_s=3600)
    assert rig.run.reason is StopReason.MAX_DURATION
    assert rig.run.detail == "3620 s"


# ---- property: success proves every condition ------------------------------------------------

PACK = st.fixed_dictionaries(
    {
        "soc": st.sampled_from([100.0, 100.0, 99.0, 95.0]),
        "current": st.sampled_from([0.5, 0.5, 4.0, -2.0, 7.0]),
        "cell_voltage_max": st.sampled_from([3.50, 3.50, 3.40]),
        "delta": st.sampled_from([0.005, 0.005, 0.025]),
        "protection": st.sampled_from(["", "", "", "cell_over_voltage"]),
    }
)
FRAME = st.tuples(st.lists(PACK, min_size=3, max_size=3), st.integers(1, 6))
GOOD = {"soc": 100.0, "current": 0.5, "cell_voltage_max": 3.50, "delta": 0.005, "protection": ""}
APART_CELLS = {**GOOD, "delta": 0.025}
LOW_CELLS = {**GOOD, "cell_voltage_max": 3.40}  # its cells never reach absorption


def _metrics(packs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "soc": [p["soc"] for p in packs],
        "current": [p["current"] for p in packs],
        "cell_voltage_max": [p["cell_voltage_max"] for p in packs],
        "cell_voltage_min": [round(p["cell_voltage_max"] - p["delta"], 3) for p in packs],
        "protection": [p["protection"] for p in packs],
        "voltage": 55.6,
    }


@PROPERTY
@given(frames=st.lists(FRAME, min_size=1, max_size=30))
@example(frames=[([GOOD] * 3, 4)] * 6)
@example(frames=[([GOOD, GOOD, APART_CELLS], 4)] * 6)
@example(frames=[([GOOD, GOOD, LOW_CELLS], 4)] * 6)
@example(
    frames=[([GOOD, GOOD, {**GOOD, "protection": "cell_over_voltage"}], 1)] + [([GOOD] * 3, 4)] * 6
)
def test_success_proves_every_pack_terminated(
    frames: list[tuple[list[dict[str, Any]], int]],
) -> None:
    config = RunConfig(taper_hold_s=120, verify_hold_s=120, verify_timeout_s=600)
    rig = Rig(config=config, packs=3).bulk()
    fed: list[tuple[float, list[dict[str, Any]]]] = []
    for packs, repeat in frames:
        for _ in range(repeat):
            if rig.run.phase is Phase.REVERTING:
                break
            rig.tick(60, **_metrics(packs))
            fed.append((rig.now, packs))
    if not rig.run.verified:
        return
    assert rig.run.reason is StopReason.COMPLETED
    assert not any(p["protection"] for _, packs in fed for p in packs)
    for index in range(3):
        assert any(packs[index]["cell_voltage_max"] >= 3.45 for _, packs in fed)
    since = rig.run.reanchor_since
    assert since is not None
    assert rig.now - since >= config.verify_hold_s
    for at, packs in fed:
        if at >= since:
            for p in packs:
                assert p["soc"] >= 99.0
                assert -1.0 <= p["current"] < 5.0
                assert p["delta"] < 0.02
