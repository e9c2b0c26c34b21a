"""Drift analysis (drift.py): drift vs imbalance vs unknown on realistic bank data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.drift import (
    DEFAULT_SOC_THRESHOLD,
    DEFAULT_VOLTAGE_TOLERANCE,
    DriftVerdict,
    analyze,
    number,
    spread,
)
from custom_components.eg4.model import SystemState

from ..helpers import pack
from .factory import T0, bank, field_drift_bank

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True)


def test_defaults() -> None:
    assert DEFAULT_SOC_THRESHOLD == 5.0
    assert DEFAULT_VOLTAGE_TOLERANCE == 0.1
    assert [v.value for v in DriftVerdict] == ["ok", "drift", "imbalance", "unknown"]


def test_field_drift_signature() -> None:
    """76 % vs 50-55 % at 53.4 V / 3.337 V per cell is drift, and pack 1 is the outlier."""
    report = analyze(field_drift_bank())
    assert report.verdict is DriftVerdict.DRIFT
    assert report.soc_spread == pytest.approx(26.0)
    assert report.voltage_spread == pytest.approx(0.0)
    assert report.max_cell_delta_mv == pytest.approx(4.0)
    assert report.outlier == 1
    assert report.missing == ()
    assert report.soc == {1: 76.0, 2: 50.0, 3: 52.0, 4: 55.0, 5: 53.0, 6: 51.0}
    assert report.voltage == dict.fromkeys(range(1, 7), 53.4)
    assert [p.index for p in report.packs] == [1, 2, 3, 4, 5, 6]
    assert all(p.fresh for p in report.packs)


def test_drift_low_outlier() -> None:
    report = analyze(bank(4, soc=[80.0, 81.0, 62.0, 80.5]))
    assert report.verdict is DriftVerdict.DRIFT
    assert report.outlier == 3


def test_imbalance_when_voltages_disagree() -> None:
    """53.4 V vs 51.5 V is a real imbalance, whatever the SoC readings say."""
    report = analyze(bank(3, voltage=[53.4, 53.4, 51.5], soc=[60.0, 60.0, 15.0]))
    assert report.verdict is DriftVerdict.IMBALANCE
    assert report.voltage_spread == pytest.approx(1.9)
    assert report.outlier == 3


def test_imbalance_wins_over_drift() -> None:
    report = analyze(bank(2, voltage=[53.4, 51.5], soc=[76.0, 50.0]))
    assert report.verdict is DriftVerdict.IMBALANCE


def test_imbalance_even_when_soc_agrees() -> None:
    assert analyze(bank(2, voltage=[53.4, 53.2])).verdict is DriftVerdict.IMBALANCE


def test_ok_bank() -> None:
    report = analyze(bank(3, soc=[70.0, 72.0, 71.0], voltage=[53.40, 53.41, 53.38]))
    assert report.verdict is DriftVerdict.OK
    assert report.outlier is None
    assert report.soc_spread == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("socs", "voltages", "verdict"),
    [
        ([60.0, 65.0], [53.4, 53.4], DriftVerdict.OK),  # exactly the threshold: not drift
        ([60.0, 65.1], [53.4, 53.4], DriftVerdict.DRIFT),
        ([60.0, 60.0], [53.4, 53.5], DriftVerdict.OK),  # exactly 0.1 V: voltages agree
        ([60.0, 70.0], [53.4, 53.5], DriftVerdict.DRIFT),
        ([60.0, 60.0], [53.4, 53.52], DriftVerdict.IMBALANCE),
    ],
)
def test_thresholds(socs: list[float], voltages: list[float], verdict: DriftVerdict) -> None:
    assert analyze(bank(2, soc=socs, voltage=voltages)).verdict is verdict


def test_custom_thresholds() -> None:
    state = bank(2, soc=[60.0, 63.0], voltage=[53.4, 53.45])
    assert analyze(state).verdict is DriftVerdict.OK
    assert analyze(state, soc_threshold=2.0).verdict is DriftVerdict.DRIFT
    assert analyze(state, voltage_tolerance=0.02).verdict is DriftVerdict.IMBALANCE


def test_two_pack_outlier_is_ambiguous() -> None:
    report = analyze(bank(2, soc=[76.0, 50.0]))
    assert report.verdict is DriftVerdict.DRIFT
    assert report.outlier is None


def test_missing_pack_is_unknown() -> None:
    """A pack that never reported makes the verdict unknown; spreads cover the rest."""
    state = field_drift_bank()
    state.packs[7] = SystemState.empty(0, 7).packs[7]
    report = analyze(state)
    assert report.verdict is DriftVerdict.UNKNOWN
    assert report.missing == (7,)
    assert report.outlier is None
    assert report.soc_spread == pytest.approx(26.0)
    assert report.soc[7] is None


def test_stale_pack_is_unknown() -> None:
    state = field_drift_bank()
    state.stale.add(pack(4))
    report = analyze(state)
    assert report.verdict is DriftVerdict.UNKNOWN
    assert report.missing == (4,)
    assert not report.packs[3].fresh


def test_old_pack_is_unknown_with_a_bound() -> None:
    state = field_drift_bank()
    state.packs[2].last_seen = T0 - 600
    assert analyze(state).verdict is DriftVerdict.DRIFT  # no bound given
    assert analyze(state, now=T0, stale_after_s=300).verdict is DriftVerdict.UNKNOWN
    assert analyze(state, now=T0, stale_after_s=900).verdict is DriftVerdict.DRIFT


def test_pack_without_soc_is_unknown() -> None:
    state = field_drift_bank()
    del state.packs[5].metrics["soc"]
    assert analyze(state).verdict is DriftVerdict.UNKNOWN


def test_pack_without_voltage_is_unknown() -> None:
    state = field_drift_bank()
    state.packs[5].metrics["voltage"] = "n/a"
    assert analyze(state).verdict is DriftVerdict.UNKNOWN


def test_no_packs_is_unknown() -> None:
    report = analyze(SystemState.empty(2, 0))
    assert report.verdict is DriftVerdict.UNKNOWN
    assert report.soc_spread is None
    assert report.voltage_spread is None
    assert report.max_cell_delta_mv is None


def test_single_pack_is_ok() -> None:
    report = analyze(bank(1, soc=40.0))
    assert report.verdict is DriftVerdict.OK
    assert report.soc_spread == 0.0


def test_number_and_spread() -> None:
    assert number({"a": 1.5}, "a") == 1.5
    assert number({"a": 2}, "a") == 2.0
    assert number({"a": True}, "a") is None
    assert number({"a": "1.5"}, "a") is None
    assert number({"a": float("nan")}, "a") is None
    assert number({"a": float("inf")}, "a") is None
    assert number({}, "a") is None
    assert spread([]) is None
    assert spread([None, None]) is None
    assert spread([3.0, None, 1.0]) == 2.0


socs = st.floats(min_value=0, max_value=100, allow_nan=False)
volts = st.floats(min_value=40, max_value=58, allow_nan=False)


@PROPERTY
@given(st.lists(st.tuples(socs, volts), min_size=1, max_size=8))
def test_verdict_matches_its_definition(packs: list[tuple[float, float]]) -> None:
    state = bank(len(packs), soc=[s for s, _ in packs], voltage=[v for _, v in packs])
    report = analyze(state)
    soc_spread = max(s for s, _ in packs) - min(s for s, _ in packs)
    v_spread = max(v for _, v in packs) - min(v for _, v in packs)
    assert report.soc_spread == pytest.approx(soc_spread)
    assert report.voltage_spread == pytest.approx(v_spread)
    if v_spread > 0.1 + 1e-6:
        assert report.verdict is DriftVerdict.IMBALANCE
    elif v_spread <= 0.1 - 1e-6 and soc_spread > 5.0 + 1e-6:
        assert report.verdict is DriftVerdict.DRIFT
    elif v_spread <= 0.1 - 1e-6 and soc_spread <= 5.0 - 1e-6:
        assert report.verdict is DriftVerdict.OK
    if report.outlier is not None:
        assert report.verdict in (DriftVerdict.DRIFT, DriftVerdict.IMBALANCE)
        assert 1 <= report.outlier <= len(packs)
