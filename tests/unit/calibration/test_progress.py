"""What an owner watches during a run (calibration/progress.py), and the result's figures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration import Phase, RunConfig, estimate
from custom_components.eg4.calibration.config import MIN_HOLDS, check_hold
from custom_components.eg4.calibration.estimate import charge_s
from custom_components.eg4.calibration.progress import (
    PACE_MIN_GAIN,
    levers,
    pace,
    progress,
    remaining_s,
)
from custom_components.eg4.calibration.summary import owner_figures
from custom_components.eg4.model import SettingKey
from custom_components.eg4.refusal import RefusedError

from .rig import ABSORB, ANCHORED, BULK, TAPER, Rig

PROPERTY = settings(max_examples=100, deadline=None, derandomize=True)


def test_a_run_not_yet_started_has_no_elapsed_time() -> None:
    rig = Rig()
    seen = progress(rig.run, rig.state, rig.now)
    assert seen.phase is Phase.PREFLIGHT
    assert seen.elapsed_s is None
    assert seen.started_at is None
    # The plan's two levers, in plan order, whatever the number of units.
    assert seen.held == (SettingKey.CHARGER_PRIORITY, SettingKey.OUTPUT_PRIORITY)


def test_bulk_expects_the_plan_estimate_from_the_bank_as_it_is_now() -> None:
    rig = Rig().bulk()
    started = rig.run.started_at
    assert started is not None
    seen = progress(rig.run, rig.state, rig.now)
    assert seen.phase is Phase.BULK
    assert seen.phase_since == rig.now
    assert seen.elapsed_s == rig.now - started
    planned = estimate(rig.state, levers(rig.run), rig.run.config).duration_s
    assert planned is not None
    assert seen.expected_end == pytest.approx(rig.now + planned, abs=30)
    assert seen.expected_end is not None
    assert seen.expected_end % 60 == 0  # to the minute: it does not move on every message
    assert seen.taper_ends_at is None
    assert seen.verify_ends_at is None


def test_the_expected_end_comes_closer_as_the_bank_charges() -> None:
    rig = Rig().bulk()
    before = remaining_s(rig.run, rig.state, rig.now)
    rig.tick(600, **BULK, soc=[90.0, 80.0, 82.0, 78.0])
    after = remaining_s(rig.run, rig.state, rig.now)
    assert before is not None
    assert after is not None
    assert after < before - 600


def test_the_estimate_stands_until_the_bank_has_gained_two_points() -> None:
    rig = Rig().bulk()
    rig.tick(600, **BULK, soc=[77.0, 53.0, 56.0, 51.0])  # one point in ten minutes
    assert pace(rig.run, rig.state, rig.now) is None
    assert PACE_MIN_GAIN == 2.0


@pytest.mark.parametrize(("gain", "minutes"), [(10.0, 2.0), (3.0, 20.0)])
def test_the_expected_end_follows_the_pace_of_the_charge(gain: float, minutes: float) -> None:
    """Ten points in two minutes (the demo's 30x twin) brings the end in; three points in twenty
    minutes (a weak grid) pushes it out. The holds are wall-clock: never scaled."""
    rig = Rig().bulk()
    started = rig.run.started_at
    assert started is not None
    rig.tick(minutes * 60, **BULK, soc=[s + gain for s in (76.0, 52.0, 55.0, 50.0)])
    planned = estimate(rig.state, levers(rig.run), rig.run.config)
    assert planned.current_a is not None
    whole = charge_s(53.5, planned.current_a, 4, rig.run.config)
    left = charge_s(53.5 + gain, planned.current_a, 4, rig.run.config)
    assert whole is not None
    assert left is not None
    measured = pace(rig.run, rig.state, rig.now)
    assert measured == pytest.approx((whole - left) / (rig.now - started))
    assert (measured > 1) is (minutes < 10)
    config = rig.run.config
    assert remaining_s(rig.run, rig.state, rig.now) == pytest.approx(
        left / measured + config.taper_hold_s + config.verify_hold_s
    )


def test_the_taper_countdown_starts_when_every_pack_tapers() -> None:
    rig = Rig().absorption()
    seen = progress(rig.run, rig.state, rig.now)
    assert seen.phase is Phase.ABSORPTION
    assert seen.taper_ends_at is None  # still charging hard: no hold yet
    rig.tick(60, **TAPER)
    since = rig.run.taper_since
    assert since is not None
    rig.tick(120, **TAPER)
    seen = progress(rig.run, rig.state, rig.now)
    config = rig.run.config
    assert seen.taper_ends_at == since + config.taper_hold_s
    left = remaining_s(rig.run, rig.state, rig.now)
    assert left == since + config.taper_hold_s - rig.now + config.verify_hold_s


def test_the_verify_countdown_starts_when_every_pack_has_terminated() -> None:
    rig = Rig().verifying()
    config = rig.run.config
    seen = progress(rig.run, rig.state, rig.now)
    assert seen.phase is Phase.VERIFYING
    assert seen.verify_ends_at is None
    assert remaining_s(rig.run, rig.state, rig.now) == config.verify_hold_s
    rig.tick(60, **ANCHORED)
    since = rig.run.reanchor_since
    assert since is not None
    rig.tick(60, **ANCHORED)
    seen = progress(rig.run, rig.state, rig.now)
    assert seen.verify_ends_at == since + config.verify_hold_s
    assert remaining_s(rig.run, rig.state, rig.now) == since + config.verify_hold_s - rig.now


def test_packs_by_number_a_pack_at_its_ceiling_is_not_re_anchored() -> None:
    """Pack 1's counter drifted high: it reads 100 % while charging hard (never seen full)."""
    rig = Rig().bulk()
    rig.tick(60, **ABSORB, soc=[100.0, 88.0, 90.0, 86.0])
    seen = progress(rig.run, rig.state, rig.now)
    assert seen.packs.at_ceiling == (1,)
    assert seen.packs.behind == (2, 3, 4)
    assert seen.packs.reanchored == ()
    assert seen.max_cell_voltage == ABSORB["cell_voltage_max"]
    assert seen.cell_voltage_limit == 3.6
    assert seen.pack_currents == dict.fromkeys((1, 2, 3, 4), ABSORB["current"])


def test_packs_seen_full_and_reading_full_are_re_anchored() -> None:
    rig = Rig().verifying()
    rig.tick(60, **ANCHORED)
    assert progress(rig.run, rig.state, rig.now).packs.reanchored == (1, 2, 3, 4)


def test_a_run_on_its_way_out_has_no_expected_end() -> None:
    rig = Rig().bulk()
    rig.run.cancel(rig.now)
    seen = progress(rig.run, rig.state, rig.now)
    assert seen.phase is Phase.REVERTING
    assert seen.expected_end is None


def test_a_cold_bank_that_cannot_charge_has_no_expected_end() -> None:
    rig = Rig(temperature_1=-5.0, temperature_2=-5.0).bulk()
    assert progress(rig.run, rig.state, rig.now).expected_end is None


@PROPERTY
@given(st.floats(0, 4000), st.floats(60, 3600), st.floats(60, 3600))
def test_countdowns_never_go_negative(late: float, taper: float, verify: float) -> None:
    rig = Rig(config=RunConfig(taper_hold_s=taper, verify_hold_s=verify)).absorption()
    rig.tick(60, **TAPER)
    left = remaining_s(rig.run, rig.state, rig.now + late)
    assert left is not None
    assert verify <= left <= taper + verify + 1e-6


# ---- hold lengths a caller asks for ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MIN_HOLDS))
def test_a_hold_at_its_minimum_is_taken(name: str) -> None:
    assert check_hold(name, MIN_HOLDS[name]) == MIN_HOLDS[name]


@pytest.mark.parametrize("name", sorted(MIN_HOLDS))
@pytest.mark.parametrize("seconds", [0.0, 59.0, float("nan")])
def test_a_hold_below_its_minimum_is_refused(name: str, seconds: float) -> None:
    with pytest.raises(RefusedError) as caught:
        check_hold(name, seconds, field="the_field")
    assert caught.value.translation_key == "limit_below_floor"
    assert caught.value.translation_placeholders["field"] == "the_field"
    assert caught.value.translation_placeholders["limit"] == "60 s"


# ---- the result as an owner reads it -----------------------------------------------------


def test_the_result_figures_carry_their_units() -> None:
    rig = Rig()
    rig.verified()
    rig.run.revert_confirmed(rig.now + 30, rig.restored())
    record = rig.run.summary()
    assert record["outcome"] == "succeeded"
    shown = owner_figures(record)
    duration = record["duration_s"]
    assert shown["duration_min"] == round(duration / 60)
    assert shown["soc_spread_before_pct"] == 26
    assert shown["soc_spread_after_pct"] == 0
    assert shown["max_cell_voltage_v"] == ANCHORED["cell_voltage_max"]
    assert shown["cell_difference_after_mv"] == record["cell_delta_after_mv"]
    assert shown["max_temperature_c"] == 25.0
    assert shown["packs_reanchored"] == [1, 2, 3, 4]
    assert shown["packs_at_ceiling"] == shown["packs_cut_off"] == shown["packs_behind"] == []


def test_a_record_from_before_the_tally_shows_empty_lists() -> None:
    shown = owner_figures({"duration_s": 5400.0, "soc_spread_before": True})
    assert shown["duration_min"] == 90
    assert shown["soc_spread_before_pct"] is None  # not a number
    assert shown["packs_behind"] == []
    assert shown["max_cell_voltage_v"] is None
