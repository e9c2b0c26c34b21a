"""How a run ended and the figures the owner is told (calibration/ending.py), and their texts."""

from __future__ import annotations

import json
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.calibration import Outcome, Phase, StopReason
from custom_components.eg4.calibration.before import NOTE_FOR_VERDICT
from custom_components.eg4.calibration.ending import (
    Ending,
    ending_data,
    ending_of,
    format_duration,
    format_figure,
    stopped_in,
)

from .rig import ANCHORED, Rig

EN: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "custom_components/eg4/translations/en.json").read_text()
)
EXCEPTIONS: dict[str, dict[str, str]] = EN["exceptions"]
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


def succeeded() -> Rig:
    rig = Rig()
    rig.verified()
    rig.run.revert_confirmed(rig.now, rig.restored())
    return rig


def test_a_verified_run_succeeded_with_its_figures() -> None:
    rig = succeeded()
    summary = rig.run.run_summary()
    assert ending_of(summary) is Ending.SUCCEEDED
    data = ending_data("entry-1", summary)
    assert data["config_entry_id"] == "entry-1"
    assert data["run_id"] == "run-1"
    assert data["ending"] == "succeeded"
    assert data["outcome"] == "succeeded"
    assert data["reason"] == "completed"
    assert data["settings_restored"] is True
    assert data["stopped_in"] == "verifying"
    assert data["duration_min"] == round(summary.duration_s / 60, 1)  # type: ignore[operator]
    assert data["soc_spread_before_pct"] == round(summary.soc_spread_before, 1)  # type: ignore[arg-type]
    assert data["soc_spread_after_pct"] == 0.0
    assert data["packs_reanchored"] == [1, 2, 3, 4]
    # Every figure carries its unit as the last part of its key; the data is JSON.
    figures = {k for k, v in data.items() if isinstance(v, float)}
    assert figures <= {
        "duration_min",
        "soc_spread_before_pct",
        "soc_spread_after_pct",
        "max_cell_voltage_v",
        "max_temperature_c",
    }
    assert json.loads(json.dumps(data)) == data


def test_a_cancel_is_aborted_where_it_stopped() -> None:
    rig = Rig().absorption()
    rig.run.cancel(rig.now)
    rig.run.revert_confirmed(rig.now + 10, rig.restored())
    summary = rig.run.run_summary()
    assert summary.outcome is Outcome.ABORTED
    assert ending_of(summary) is Ending.ABORTED
    assert stopped_in(summary) is Phase.ABSORPTION
    assert ending_data("e", summary)["reason"] == "cancelled"


def test_a_restart_mid_run_is_interrupted() -> None:
    rig = Rig().bulk()
    rig.run.recover(rig.now + 60)
    rig.run.revert_confirmed(rig.now + 90, rig.restored())
    summary = rig.run.run_summary()
    assert summary.outcome is Outcome.ABORTED
    assert ending_of(summary) is Ending.INTERRUPTED
    data = ending_data("e", summary)
    assert (data["ending"], data["reason"], data["stopped_in"]) == (
        "interrupted",
        "interrupted",
        "bulk",
    )


def test_an_unconfirmed_revert_is_revert_failed_with_its_detail() -> None:
    rig = Rig().bulk()
    rig.run.cancel(rig.now)
    rig.run.revert_failed(rig.now + 60, "output_priority: no read-back")
    summary = rig.run.run_summary()
    assert ending_of(summary) is Ending.REVERT_FAILED
    data = ending_data("e", summary)
    assert data["settings_restored"] is False
    assert data["detail"] == "output_priority: no read-back"


def test_a_run_not_ended_has_no_ending() -> None:
    rig = Rig().bulk()
    with pytest.raises(ValueError, match="has not ended"):
        ending_of(rig.run.run_summary())
    assert stopped_in(Rig().run.run_summary()) is None  # never supervised


def test_a_run_stopped_while_verifying_names_verifying() -> None:
    rig = Rig().verifying()
    rig.tick(**ANCHORED)
    rig.run.cancel(rig.now)
    assert stopped_in(rig.run.run_summary()) is Phase.VERIFYING


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "?"),
        (0, "0 min"),
        (29, "0 min"),
        (31, "1 min"),
        (59 * 60, "59 min"),
        (3600, "1 h 00 min"),
        (3 * 3600 + 5 * 60 + 10, "3 h 05 min"),
        (-5, "0 min"),
    ],
)
def test_durations_read_as_an_owner_reads_them(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (None, 1, "?"),
        (25.0, 1, "25"),
        (0.5, 1, "0.5"),
        (0.04, 1, "0"),
        (-0.04, 1, "0"),
        (3.456, 2, "3.46"),
        (3.4, 2, "3.4"),
        (12.6, 0, "13"),
    ],
)
def test_figures_have_no_false_decimals(value: float | None, digits: int, text: str) -> None:
    assert format_figure(value, digits) == text


@PROPERTY
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(0, 3))
def test_a_figure_reads_back_as_its_rounded_value(value: float, digits: int) -> None:
    text = format_figure(value, digits)
    assert float(text) == pytest.approx(round(value, digits), abs=10**-digits)
    assert not text.endswith(".")
    assert "." not in text or not text.endswith("0")


@PROPERTY
@given(st.floats(min_value=0, max_value=7 * 24 * 3600, allow_nan=False))
def test_a_duration_reads_back_to_the_minute(seconds: float) -> None:
    parts = format_duration(seconds).split()
    minutes = int(parts[0]) * 60 + int(parts[2]) if len(parts) == 4 else int(parts[0])
    assert abs(minutes * 60 - seconds) <= 30.0 + 1e-6


# ---- every ending, reason and note has its words ------------------------------------------


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("reason", list(StopReason))
def test_every_stop_reason_is_worded(reason: StopReason) -> None:
    """A new reason needs its ``stop_reason_<code>`` line, and nothing else, to be told."""
    text = EXCEPTIONS[f"stop_reason_{reason.value}"]["message"]
    assert text
    assert placeholders(text) == set()


@pytest.mark.parametrize("ending", list(Ending))
def test_every_ending_is_worded(ending: Ending) -> None:
    given = {"title", "duration", "spread_before", "spread_after", "max_cell", "phase"}
    given |= {"reason", "detail"}
    assert placeholders(EXCEPTIONS[f"ended_{ending.value}_title"]["message"]) == {"title"}
    assert placeholders(EXCEPTIONS[f"ended_{ending.value}"]["message"]) <= given
    assert placeholders(EXCEPTIONS[f"logbook_{ending.value}"]["message"]) <= given - {"title"}


@pytest.mark.parametrize("note", sorted(NOTE_FOR_VERDICT.values()))
def test_every_note_is_worded(note: str) -> None:
    assert placeholders(EXCEPTIONS[f"note_{note}"]["message"]) <= {"spread", "threshold", "packs"}
