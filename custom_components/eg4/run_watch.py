"""What the calibration entities read of the supervised run, whichever kind it is.

A calibration shows its progress (``calibration.progress``: the phase, the packs, the expected
end from the bank's estimate and its pace). A charge to a target (``chargeto.ChargeToRun``)
shows the same phase and bank figures, but as what it is: its kind, target, deadline and the
current it holds on the state sensor, and as its expected end the finish of its own latest plan
(no taper or verify hold: a charge has none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.util import dt as dt_util

from .calibration import CalibrationRun, Phase, RunConfig
from .calibration.observe import BankView, observe
from .calibration.progress import MINUTE, RunProgress, progress
from .chargeto import ChargeToRun
from .supervisor import CalibrationSupervisor

DEFAULT_CONFIG = RunConfig()  # what the watch values are held against when no run is active


@dataclass(frozen=True, slots=True, kw_only=True)
class Watch:
    """What the calibration entities show, read once per refresh."""

    supervisor: CalibrationSupervisor
    progress: RunProgress | None  # None while no run exists
    bank: BankView
    config: RunConfig  # the running run's, or the defaults

    @property
    def last(self) -> Mapping[str, Any]:
        """The record of the last run that ended (empty before the first)."""
        return self.supervisor.last or {}

    @property
    def last_success(self) -> Mapping[str, Any]:
        """The record of the last run that succeeded (empty before the first)."""
        return self.supervisor.last_success or {}


def _charge_progress(run: ChargeToRun, base: RunProgress) -> RunProgress:
    """A charge's progress: its own plan's finish while it charges, to the minute."""
    charging = run.phase in (Phase.ENGAGING, Phase.BULK) and run.finish_at is not None
    end = round(run.finish_at / MINUTE) * MINUTE if charging and run.finish_at else None
    return replace(base, expected_end=end, taper_ends_at=None, verify_ends_at=None)


def watch(supervisor: CalibrationSupervisor) -> Watch:
    """The supervisor's run, its progress now, and the bank's figures."""
    state = supervisor.coordinator.data
    run = supervisor.run
    now_progress = None if run is None else progress(run, state, supervisor.now())
    if isinstance(run, ChargeToRun) and now_progress is not None:
        now_progress = _charge_progress(run, now_progress)
    return Watch(
        supervisor=supervisor,
        progress=now_progress,
        bank=observe(state),
        config=DEFAULT_CONFIG if run is None else run.config,
    )


def _moment(timestamp: float) -> str:
    """A run-clock time as an attribute (ISO 8601, UTC, to the minute)."""
    return dt_util.utc_from_timestamp(round(timestamp / MINUTE) * MINUTE).isoformat()


def run_attributes(w: Watch) -> dict[str, Any]:
    """The state sensor's attributes: the run, its kind, and a charge's own figures."""
    run: CalibrationRun | None = w.supervisor.run
    if run is None or w.progress is None:
        return {}
    attributes: dict[str, Any] = {
        "run_id": run.run_id,
        "kind": run.kind,
        "method": run.method.value,
        "reason": None if run.reason is None else run.reason.value,
        "detail": run.detail,
        "held_settings": [key.value for key in w.progress.held],
    }
    if isinstance(run, ChargeToRun):
        held = run.schedule[-1][1] if run.schedule else None
        attributes |= {
            "charge_method": run.request.method.value,
            "target_soc_pct": run.request.target_soc,
            "deadline": _moment(run.request.deadline),
            "current_a": held,
        }
    return attributes
