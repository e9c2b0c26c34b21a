"""Drift as its own watcher: the figures the drift entities show and the repair issue.

Counters that stay drifted for a day raise a repair issue whose fix flow (``repairs.py``)
starts a calibration. While a calibration is under way the issue is withdrawn (the run is its
fix); it comes back if the counters are still drifted after it. The analysis itself is pure
(``drift.analyze``); this room keeps it current and owns the issue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later

from ..const import DOMAIN
from ..drift import DriftReport, DriftVerdict, analyze
from ..fanout import DRIFT

if TYPE_CHECKING:
    from ..coordinator import Eg4Coordinator

DRIFT_REPAIR_AFTER_S = 24 * 3600.0
DRIFT_SOON_S = 2.0  # after a source (re)appears, analyse drift this soon instead of on the tick
DRIFT_ISSUE_PREFIX = "drift_"
DRIFT_TRANSLATION_KEY = "soc_drift"
ISSUE_ENTRY_ID = "entry_id"  # the issue's data: the entry the fix flow calibrates


class DriftWatch:
    """Keeps an entry's drift analysis and its repair issue current."""

    def __init__(
        self,
        entry_id: str,
        coordinator: Eg4Coordinator,
        stale_after_s: float,
        now: Callable[[], float],
        on_since_changed: Callable[[], None],
        calibrating: Callable[[], bool],
    ) -> None:
        """Bind to an entry's coordinator; ``on_since_changed`` persists ``since``.

        A new analysis is told to the drift entities through the coordinator (``fanout.DRIFT``).

        ``calibrating`` says whether a calibration is under way (the issue then stands down).
        """
        self.hass = coordinator.hass
        self.entry_id = entry_id
        self._coordinator = coordinator
        self._stale_after_s = stale_after_s
        self._now = now
        self._on_since_changed = on_since_changed
        self._calibrating = calibrating
        self.report: DriftReport | None = None
        self.since: float | None = None  # drifted since (kept across restarts)
        self._soon: CALLBACK_TYPE | None = None

    @property
    def issue_id(self) -> str:
        """The drift repair issue of this entry."""
        return f"{DRIFT_ISSUE_PREFIX}{self.entry_id}"

    @callback
    def soon(self) -> None:
        """New sources: refresh the figures in a moment (otherwise they follow the tick)."""
        if self._soon is None:
            self._soon = async_call_later(self.hass, DRIFT_SOON_S, self._refresh_soon)

    @callback
    def _refresh_soon(self, _now: object) -> None:
        self._soon = None
        self.refresh()

    @callback
    def stop(self) -> None:
        """No more delayed refresh."""
        if self._soon is not None:
            self._soon()
            self._soon = None

    @callback
    def refresh(self) -> None:
        """Analyse the bank; suggest a calibration when counters stay drifted for a day."""
        now = self._now()
        report = analyze(self._coordinator.data, now=now, stale_after_s=self._stale_after_s)
        if report != self.report:
            self.report = report
            self._coordinator.async_notify(DRIFT)
        if report.verdict is DriftVerdict.DRIFT:
            if self.since is None:
                self.since = now
                self._on_since_changed()
            if self._calibrating():
                ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
            elif now - self.since >= DRIFT_REPAIR_AFTER_S:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    self.issue_id,
                    is_fixable=True,
                    data={ISSUE_ENTRY_ID: self.entry_id},
                    severity=ir.IssueSeverity.WARNING,
                    translation_key=DRIFT_TRANSLATION_KEY,
                    translation_placeholders={
                        "spread": f"{report.soc_spread:g}" if report.soc_spread else "?",
                        "pack": str(report.outlier) if report.outlier else "?",
                    },
                )
        elif report.verdict is not DriftVerdict.UNKNOWN:
            # Unknown (a pack silent or incomplete) neither starts nor ends the day of drift.
            if self.since is not None:
                self.since = None
                self._on_since_changed()
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
