"""The before picture a runbook records, and the drift note (calibration/before.py)."""

from __future__ import annotations

import json

from custom_components.eg4.calibration.before import before_picture, drift_note
from custom_components.eg4.drift import analyze

from .factory import T0, bank, field_drift_bank


def test_the_field_drift_is_pictured_and_needs_no_note() -> None:
    state = field_drift_bank()
    report = analyze(state)
    picture = before_picture(state, report)
    data = picture.to_dict()
    assert data["drift"] == "drift"
    assert data["soc_spread_pct"] == 26.0
    assert data["voltage_spread_v"] == 0.0
    assert data["cell_difference_max_mv"] == 4.0
    assert (data["temperature_min_c"], data["temperature_max_c"]) == (24.0, 25.0)
    assert [(p["pack"], p["soc_pct"]) for p in data["packs"]] == [
        (1, 76.0),
        (2, 50.0),
        (3, 52.0),
        (4, 55.0),
        (5, 53.0),
        (6, 51.0),
    ]
    assert data["packs"][0] == {
        "pack": 1,
        "soc_pct": 76.0,
        "voltage_v": 53.4,
        "cell_difference_mv": 4.0,
        "temperature_min_c": 24.0,
        "temperature_max_c": 25.0,
    }
    assert json.loads(json.dumps(data)) == data
    assert drift_note(report) is None


def test_counters_that_agree_make_a_run_pointless() -> None:
    report = analyze(bank(4, soc=[60.0, 61.0, 59.0, 62.0]))
    assert drift_note(report) == "no_drift"


def test_voltages_that_disagree_are_an_imbalance() -> None:
    report = analyze(bank(4, soc=[60.0, 60.0, 20.0, 60.0], voltage=[53.4, 53.4, 51.6, 53.4]))
    assert drift_note(report) == "imbalance"
    assert before_picture(bank(4), report).voltage_spread_v == 53.4 - 51.6


def test_a_silent_pack_leaves_drift_unknown_and_its_figures_empty() -> None:
    state = bank(3, soc=[60.0, 80.0, 60.0])
    state.packs[2].metrics.clear()
    report = analyze(state, now=T0, stale_after_s=60)
    assert drift_note(report) == "drift_unknown"
    picture = before_picture(state, report)
    assert picture.packs[1].soc_pct is None
    assert picture.packs[1].temperature_min_c is None
    assert picture.soc_spread_pct == 0.0  # over the packs that report
    assert picture.temperature_max_c == 25.0


def test_a_bank_without_temperatures_has_none() -> None:
    state = bank(2)
    for pack in state.packs.values():
        for key in [k for k in pack.metrics if k.startswith("temperature")]:
            del pack.metrics[key]
    picture = before_picture(state, analyze(state))
    assert (picture.temperature_min_c, picture.temperature_max_c) == (None, None)
