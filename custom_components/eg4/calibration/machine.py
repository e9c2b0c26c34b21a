"""The calibration-charge state machine: deterministic, no I/O, no clock (time is passed in).

preflight -> engaging -> bulk -> absorption -> verifying -> reverting -> succeeded|aborted|failed

The host feeds it events (``start``, ``engaged``, ``on_update`` for every new SystemState and
on a periodic tick, ``cancel``, ``revert_confirmed``/``revert_failed``) and carries out the
actions it returns. A breach aborts on the very update that carries it, and so does a held
lever that reads back changed outside eg4 (levers.py). The run's fields, views and stored
form are in record.py; what it concludes from a bank's figures in judge.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

from ..model import SettingKey, SettingValue, SystemState
from ..safety import breaches
from .actions import Action, ApplyPlan, EnterPhase, Finish, StartRevert
from .config import RunConfig
from .judge import absorbing, describe, holding, tapered, terminated, unterminated, witness
from .levers import LeverChange, describe_changes, watch_levers
from .observe import BankView, observe
from .plan import Method, PlanItem, restore_mismatches
from .record import RunRecord
from .result import (
    ACTIVE_PHASES,
    SUPERVISED_PHASES,
    TERMINAL_PHASES,
    Outcome,
    Phase,
    PhaseEntry,
    StopReason,
)

BALANCE_STEP_MV = 2.0  # a fall of the worst cell difference that counts as balancing progress


def _fmt(value: float | None, unit: str) -> str:
    return "unknown" if value is None else f"{value:g} {unit}"


class CalibrationRun(RunRecord):
    """One supervised calibration charge: its events and transitions."""

    kind = "calibration"  # what the supervisor runs (``chargeto.ChargeToRun`` is another)

    @classmethod
    def create(
        cls,
        *,
        run_id: str,
        method: Method,
        plan: Sequence[PlanItem],
        state: SystemState,
        now: float,
        config: RunConfig | None = None,
    ) -> Self:
        """Create a run and record the bank as it is before the charge."""
        run = cls(run_id=run_id, method=method, plan=plan, created_at=now, config=config)
        view = observe(state)
        run.soc_before = dict(view.soc)
        run.soc_spread_before = view.soc_spread
        run._record(view)
        return run

    # ---- events ------------------------------------------------------------------------------

    def start(self, now: float) -> list[Action]:
        """Begin: write the levers (grid) or start watching for the charge (solar)."""
        if self.phase is not Phase.PREFLIGHT:
            return []
        self.started_at = float(now)
        actions = self._enter(Phase.ENGAGING, now)
        if self.plan:
            actions.append(ApplyPlan(self.plan))
        else:
            self.engaged_at = float(now)
        return actions

    def engaged(self, now: float) -> list[Action]:
        """Every lever write was confirmed by read-back; now the bank must start charging."""
        if self.phase is Phase.ENGAGING and self.engaged_at is None:
            self.engaged_at = float(now)
        return []

    def engage_failed(self, now: float, detail: str) -> list[Action]:
        """A lever write was refused or not confirmed: revert what may have been written."""
        if self.phase is not Phase.ENGAGING:
            return []
        return self._stop(StopReason.ENGAGE_FAILED, now, detail)

    def cancel(self, now: float) -> list[Action]:
        """Stop on request; a started run reverts first."""
        if self.phase is Phase.PREFLIGHT:
            self.reason = StopReason.CANCELLED
            return self._finish(now, Outcome.ABORTED)
        if self.phase in SUPERVISED_PHASES:
            return self._stop(StopReason.CANCELLED, now, "")
        return []

    def on_update(self, state: SystemState, now: float) -> list[Action]:
        """Judge a new state: abort on any breach or time limit, else advance the phase.

        Call it on every telemetry update and on a periodic tick: staleness and the time
        bounds are only noticed when this runs.
        """
        if self.phase not in ACTIVE_PHASES:
            return []
        view = observe(state)
        self._record(view)
        witness(view, self.config, self.packs_full, self.packs_cut_off)
        if self.phase is Phase.REVERTING:
            return []
        changed = self._watch_levers(state)
        found = breaches(state, now=now, limits=self.config.limits)
        if found:
            detail = "; ".join(f"{b.reason.value} {b.source}: {b.value}" for b in found)
            return self._stop(StopReason.from_breach(found[0].reason), now, detail)
        if changed:
            return self._stop(StopReason.LEVER_CHANGED, now, describe_changes(changed))
        assert self.started_at is not None  # noqa: S101 - every active phase follows start()
        if now - self.started_at >= self.config.max_duration_s:
            detail = _fmt(round(now - self.started_at), "s")
            if self.phase in (Phase.ABSORPTION, Phase.VERIFYING):
                held = holding(view, self.config, full=self.packs_full, cut_off=self.packs_cut_off)
                detail += f"; {held}" if held else ""
            return self._stop(StopReason.MAX_DURATION, now, detail)
        return self._advance(view, now)

    def revert_confirmed(
        self, now: float, restored: Mapping[int, Mapping[SettingKey, SettingValue | None]]
    ) -> list[Action]:
        """The revert writes were read back: ``restored`` holds each unit's read-back values.

        Values that do not match the saved ones make the run fail (an acknowledged write is
        not an applied write). After a failure, a later confirmed revert is only recorded.
        """
        mismatches = restore_mismatches(self.restorable, restored)
        if self.phase is Phase.FAILED and not mismatches and self.restored_at is None:
            self.restored_at = float(now)
            return []
        if self.phase is not Phase.REVERTING:
            return []
        if mismatches:
            return self._fail(now, "; ".join(mismatches))
        self.restored_at = float(now)
        return self._finish(now, Outcome.SUCCEEDED if self.verified else Outcome.ABORTED)

    def revert_failed(self, now: float, detail: str) -> list[Action]:
        """The revert could not be confirmed: the run fails (the host keeps retrying)."""
        if self.phase is not Phase.REVERTING:
            return []
        return self._fail(now, detail)

    def recover(self, now: float, *, detail: str | None = None) -> list[Action]:
        """After a restart or an unload: revert an active run, close one never started.

        ``detail`` says what interrupted it (default: a restart).
        """
        if self.phase in TERMINAL_PHASES:
            return []
        self.interrupted = True
        if self.phase is Phase.PREFLIGHT:
            self.reason = StopReason.INTERRUPTED
            return self._finish(now, Outcome.ABORTED)
        if self.phase is Phase.REVERTING:
            reason = self.reason or StopReason.INTERRUPTED
            return [StartRevert(reason, self.revert_items)]
        detail = detail or f"restarted during {self.phase.value}"
        return self._stop(StopReason.INTERRUPTED, now, detail)

    def fault(self, now: float, detail: str) -> list[Action]:
        """Judging an update failed (a defect): stop and revert rather than run blind."""
        if self.phase not in SUPERVISED_PHASES:
            return []
        return self._stop(StopReason.ERROR, now, detail)

    # ---- transitions -------------------------------------------------------------------------

    def _advance(self, view: BankView, now: float) -> list[Action]:
        """Move through as many phases as this one update justifies."""
        steps = {
            Phase.ENGAGING: self._step_engaging,
            Phase.BULK: self._step_bulk,
            Phase.ABSORPTION: self._step_absorption,
            Phase.VERIFYING: self._step_verifying,
        }
        actions: list[Action] = []
        while self.phase in steps:
            before = self.phase
            actions += steps[self.phase](view, now)
            if self.phase is before:
                break
        return actions

    def _step_engaging(self, view: BankView, now: float) -> list[Action]:
        cfg = self.config
        assert self.started_at is not None  # noqa: S101 - set by start()
        if self.engaged_at is None:
            if now - self.started_at > cfg.engage_write_timeout_s:
                return self._stop(StopReason.ENGAGE_FAILED, now, "writes not confirmed")
            return []
        current = view.total_current
        if current is not None and current >= cfg.engage_current_a:
            return self._enter(Phase.BULK, now)
        if cfg.engage_timeout_s is not None and now - self.engaged_at > cfg.engage_timeout_s:
            detail = f"total current {_fmt(current, 'A')}"
            return self._stop(StopReason.DID_NOT_ENGAGE, now, detail)
        return []

    def _step_bulk(self, view: BankView, now: float) -> list[Action]:
        if absorbing(view, self.config):
            return self._enter(Phase.ABSORPTION, now)
        cfg = self.config
        current = view.total_current
        if cfg.engage_timeout_s is None or current is None:
            return []  # the solar method: clouds pause a charge, the sun comes back
        if current >= cfg.engage_current_a:
            self.stalled_since = None
            return []
        if self.stalled_since is None:
            self.stalled_since = float(now)
        if now - self.stalled_since <= cfg.engage_timeout_s:
            return []
        detail = f"total current {_fmt(current, 'A')}; {describe(self._unterminated(view))}"
        return self._stop(StopReason.CHARGE_STOPPED, now, detail)

    def _step_absorption(self, view: BankView, now: float) -> list[Action]:
        if not tapered(view, self.config):
            self.taper_since = None
            return []
        if self.taper_since is None:
            self.taper_since = float(now)
        if now - self.taper_since < self.config.taper_hold_s:
            return []
        self.verify_started_at = float(now)
        return self._enter(Phase.VERIFYING, now)

    def _step_verifying(self, view: BankView, now: float) -> list[Action]:
        cfg = self.config
        assert self.verify_started_at is not None  # noqa: S101 - set on entry
        if terminated(view, cfg, full=self.packs_full, cut_off=self.packs_cut_off):
            if self.reanchor_since is None:
                self.reanchor_since = float(now)
            if now - self.reanchor_since >= cfg.verify_hold_s:
                self.verified = True
                return self._stop(StopReason.COMPLETED, now, "")
            return []
        self.reanchor_since = None
        self._note_balance(view, now)
        since = max(self.verify_started_at, self.balance_progress_at or 0.0)
        if now - since < cfg.verify_timeout_s:
            return []  # (the balancers still bring the cells together: the timeout restarts)
        behind = self._unterminated(view)
        if len(behind) < view.pack_count:
            return []  # some packs terminated, others lag: hold on (max_duration bounds it)
        return self._stop(StopReason.NOT_REANCHORED, now, describe(behind))

    def _note_balance(self, view: BankView, now: float) -> None:
        """Remember when the worst pack's cell difference last fell by a step."""
        worst = view.max_cell_delta_mv
        if worst is None:
            return
        if self.balance_best_mv is None:
            self.balance_best_mv = worst
        elif worst <= self.balance_best_mv - BALANCE_STEP_MV:
            self.balance_best_mv = worst
            self.balance_progress_at = float(now)

    def _watch_levers(self, state: SystemState) -> list[LeverChange]:
        """Levers changed outside eg4 since they were confirmed: the owner's from now on.

        Watched once every write is confirmed (the engage writes, and may roll back, before).
        """
        if self.engaged_at is None or not self.plan:
            return []
        changed = watch_levers(self.plan, state, self.levers_seen)
        self.owner_settings.update(change.setting for change in changed)
        return changed

    def _unterminated(self, view: BankView) -> dict[int, str]:
        return unterminated(view, self.config, full=self.packs_full, cut_off=self.packs_cut_off)

    def _record(self, view: BankView) -> None:
        if view.max_cell_voltage is not None and (
            self.max_cell_voltage is None or view.max_cell_voltage > self.max_cell_voltage
        ):
            self.max_cell_voltage = view.max_cell_voltage
        if view.max_temperature is not None and (
            self.max_temperature is None or view.max_temperature > self.max_temperature
        ):
            self.max_temperature = view.max_temperature
        self.soc_after = dict(view.soc)
        self.soc_spread_after = view.soc_spread
        deltas = [p.cell_delta_mv for p in view.packs.values() if p.cell_delta_mv is not None]
        self.cell_delta_after_mv = max(deltas) if deltas else None

    def _enter(self, phase: Phase, now: float) -> list[Action]:
        self.phase = phase
        self.history.append(PhaseEntry(phase, float(now)))
        return [EnterPhase(phase)]

    def _stop(self, reason: StopReason, now: float, detail: str) -> list[Action]:
        self.reason = reason
        self.detail = detail
        self.revert_started_at = float(now)
        actions = self._enter(Phase.REVERTING, now)
        if self.revert_items:
            actions.append(StartRevert(reason, self.revert_items))
            return actions
        # Nothing was written (the solar method), or the owner changed every lever meanwhile.
        self.restored_at = float(now)
        return actions + self._finish(now, Outcome.SUCCEEDED if self.verified else Outcome.ABORTED)

    def _finish(self, now: float, outcome: Outcome) -> list[Action]:
        self.finished_at = float(now)
        return [*self._enter(outcome.phase, now), Finish(outcome, self.reason)]

    def _fail(self, now: float, detail: str) -> list[Action]:
        self.revert_detail = detail
        return self._finish(now, Outcome.FAILED)
