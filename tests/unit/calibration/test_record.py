"""The run's record: the typed summary, the new fields, and records stored by earlier versions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.eg4.calibration import (
    CalibrationRun,
    Method,
    Outcome,
    PackTally,
    Phase,
    RunConfig,
    RunDataError,
    RunSummary,
    StopReason,
)

from .rig import ANCHORED, TAPER, Rig

FIXTURES = Path(__file__).parent / "fixtures"
# The keys of the summary as the HA side stores and shows it (``supervisor.last``).
SUMMARY_KEYS = {
    "run_id",
    "method",
    "phase",
    "outcome",
    "reason",
    "detail",
    "revert_detail",
    "interrupted",
    "started_at",
    "finished_at",
    "duration_s",
    "soc_spread_before",
    "soc_spread_after",
    "max_cell_voltage",
    "max_temperature",
    "phases",
}
NEW_SUMMARY_KEYS = {
    "cell_delta_after_mv",
    "packs_reanchored",
    "packs_at_ceiling",
    "packs_cut_off",
    "packs_behind",
}


def stored_v1() -> dict[str, Any]:
    """A run in absorption as the previous version stored it (format 1, before pack tracking)."""
    data: dict[str, Any] = json.loads((FIXTURES / "run_v1_absorption.json").read_text())
    return data


def test_a_record_stored_by_the_previous_version_loads_and_runs_on() -> None:
    data = stored_v1()
    assert "packs_full" not in data
    assert "reanchor_cell_delta_mv" not in data["config"]
    run = CalibrationRun.from_dict(data)
    assert run.phase is Phase.ABSORPTION
    assert run.config == RunConfig()
    assert run.packs_full == set()
    assert run.packs_cut_off == set()
    assert run.cell_delta_after_mv is None
    assert run.awaits_revert
    # Stored again, it carries the new fields; loaded again, it is the same run.
    again = CalibrationRun.from_dict(json.loads(json.dumps(run.to_dict())))
    assert again.to_dict() == run.to_dict()
    assert again.to_dict()["config"]["reanchor_cell_delta_mv"] == 20.0


def test_a_loaded_previous_record_reverts_at_recovery() -> None:
    run = CalibrationRun.from_dict(stored_v1())
    actions = run.recover(run.started_at + 7200)  # type: ignore[operator]
    assert run.phase is Phase.REVERTING
    assert run.reason is StopReason.INTERRUPTED
    assert actions[-1].items == run.revert_items  # type: ignore[union-attr]


def test_the_new_fields_round_trip() -> None:
    rig = Rig().verifying()
    rig.tick(**{**ANCHORED, "protection": {3: "cell_over_voltage"}})
    data = json.loads(json.dumps(rig.run.to_dict()))
    assert data["packs_full"] == [1, 2, 3, 4]
    assert data["packs_cut_off"] == [3]
    assert data["cell_delta_after_mv"] == 10.0
    loaded = CalibrationRun.from_dict(data)
    assert loaded.packs == rig.run.packs == PackTally(reanchored=(1, 2, 4), cut_off=(3,))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("packs_cut_off", ["1"]),
        ("packs_cut_off", [0]),
        ("packs_full", [True]),
        ("packs_full", 3),
        ("cell_delta_after_mv", "10"),
        ("cell_delta_after_mv", float("inf")),
    ],
)
def test_junk_in_the_new_fields_is_refused(key: str, value: object) -> None:
    data = Rig().verifying().run.to_dict()
    data[key] = value
    with pytest.raises(RunDataError):
        CalibrationRun.from_dict(data)


def test_the_summary_is_typed_and_its_dict_keeps_the_stored_keys() -> None:
    rig = Rig()
    rig.verified()
    rig.run.revert_confirmed(rig.now, rig.restored())
    summary = rig.run.run_summary()
    assert isinstance(summary, RunSummary)
    assert summary.method is Method.GRID
    assert summary.outcome is Outcome.SUCCEEDED
    assert summary.reason is StopReason.COMPLETED
    assert summary.succeeded
    assert summary.packs == PackTally(reanchored=(1, 2, 3, 4))
    assert summary.phases == tuple(rig.run.history)
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.detail = "changed"  # type: ignore[misc]
    data = summary.to_dict()
    assert data == rig.run.summary()
    assert set(data) == SUMMARY_KEYS | NEW_SUMMARY_KEYS
    assert data["outcome"] == "succeeded"
    assert data["packs_reanchored"] == [1, 2, 3, 4]
    assert data["packs_behind"] == []
    assert data["cell_delta_after_mv"] == 10.0
    assert data["phases"][-1] == {"phase": "succeeded", "at": rig.now}
    json.dumps(data, allow_nan=False)


def test_the_summary_of_a_run_not_yet_started() -> None:
    rig = Rig()
    summary = rig.run.run_summary()
    assert summary.outcome is None
    assert not summary.succeeded
    assert summary.duration_s is None
    assert summary.packs == PackTally(behind=(1, 2, 3, 4))  # 76 % and lower


def test_the_summary_while_absorbing() -> None:
    rig = Rig().absorption()
    rig.hold(120, **TAPER)
    summary = rig.run.summary()
    assert summary["phase"] == "absorption"
    assert summary["packs_behind"] == [1, 2, 3, 4]
