"""The calibration-charge state machine: deterministic, no I/O, no clock (time is passed in).

preflight -> engaging -> bulk -> absorption -> verifying -> reverting -> succeeded|aborted|failed

The host feeds it events (``start``, ``engaged``, ``on_update`` for every new SystemState and
on a periodic tick, ``cancel``, ``revert_confirmed``/``revert_failed``) and carries out the
actions it returns. A breach aborts on the very update that carries it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..model import SettingKey, SettingValue, SystemState
from ..safety import breaches
from .actions import Action, ApplyPlan, EnterPhase, Finish, StartRevert
from .codec import (
    FORMAT_VERSION,
    RunDataError,
    as_bool,
    as_dict,
    as_float,
    as_list,
    as_str,
    decode_item,
    decode_soc,
    encode_item,
    encode_saved,
    encode_soc,
    enum_of,
    opt_float,
)
from .config import RunConfig
from .observe import BankView, observe
from .plan import Method, PlanItem, restore_mismatches, revert_plan, saved_settings
from .result import (
    ACTIVE_PHASES,
    SUPERVISED_PHASES,
    TERMINAL_PHASES,
    Outcome,
    Phase,
    PhaseEntry,
    StopReason,
)

_TIMES = (
    "created_at",
    "started_at",
    "engaged_at",
    "taper_since",
    "verify_started_at",
    "reanchor_since",
    "revert_started_at",
    "restored_at",
    "finished_at",
)


def _fmt(value: float | None, unit: str) -> str:
    return "unknown" if value is None else f"{value:g} {unit}"


class CalibrationRun:
    """One supervised calibration charge and its record."""

    def __init__(
        self,
        *,
        run_id: str,
        method: Method,
        plan: Sequence[PlanItem],
        created_at: float,
        config: RunConfig | None = None,
    ) -> None:
        """Create a run in the preflight phase (see ``create`` to record the starting state)."""
        if method is Method.SOLAR and plan:
            raise ValueError("the solar method writes nothing")
        if method is Method.GRID and not plan:
            raise ValueError("the grid method needs a plan")
        self.run_id = run_id
        self.method = method
        self.plan: tuple[PlanItem, ...] = tuple(plan)
        self.config = config if config is not None else RunConfig.for_method(method)
        self.phase = Phase.PREFLIGHT
        self.history: list[PhaseEntry] = [PhaseEntry(Phase.PREFLIGHT, float(created_at))]
        self.created_at = float(created_at)
        self.started_at: float | None = None
        self.engaged_at: float | None = None  # writes confirmed (at start for the solar method)
        self.taper_since: float | None = None
        self.verify_started_at: float | None = None
        self.reanchor_since: float | None = None
        self.revert_started_at: float | None = None
        self.restored_at: float | None = None  # revert confirmed by read-back
        self.finished_at: float | None = None
        self.verified = False  # every pack re-anchored and held
        self.interrupted = False  # Home Assistant restarted while the run was active
        self.reason: StopReason | None = None
        self.detail = ""  # what triggered the stop, e.g. "pack_3: 3.62 V > 3.6 V"
        self.revert_detail = ""  # why a revert failed
        self.max_cell_voltage: float | None = None
        self.max_temperature: float | None = None
        self.soc_before: dict[int, float | None] = {}
        self.soc_spread_before: float | None = None
        self.soc_after: dict[int, float | None] = {}
        self.soc_spread_after: float | None = None

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
    ) -> CalibrationRun:
        """Create a run and record the bank as it is before the charge."""
        run = cls(run_id=run_id, method=method, plan=plan, created_at=now, config=config)
        view = observe(state)
        run.soc_before = dict(view.soc)
        run.soc_spread_before = view.soc_spread
        run._record(view)
        return run

    # ---- read-only views ---------------------------------------------------------------------

    @property
    def outcome(self) -> Outcome | None:
        """How the run ended, once it has."""
        return Outcome(self.phase.value) if self.phase in TERMINAL_PHASES else None

    @property
    def is_active(self) -> bool:
        """True while the bank may be on calibration settings."""
        return self.phase in ACTIVE_PHASES

    @property
    def awaits_revert(self) -> bool:
        """True while the everyday settings are not confirmed back on the units.

        An active run, or one that failed before its revert was confirmed. Loaded from storage
        at startup, such a run was interrupted: the host calls ``recover(now)``, which reverts
        and records the interruption.
        """
        return self.is_active or (self.phase is Phase.FAILED and self.restored_at is None)

    @property
    def duration(self) -> float | None:
        """Seconds from start to the end of the run (None until both are known)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def saved(self) -> dict[int, dict[SettingKey, SettingValue]]:
        """The settings to restore, per unit."""
        return saved_settings(self.plan)

    @property
    def revert_items(self) -> tuple[PlanItem, ...]:
        """The writes that restore the everyday settings, in order."""
        return tuple(revert_plan(self.plan))

    def entered_at(self, phase: Phase) -> float | None:
        """When the run last entered ``phase``."""
        for entry in reversed(self.history):
            if entry.phase is phase:
                return entry.at
        return None

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
        if self.phase is Phase.REVERTING:
            return []
        found = breaches(state, now=now, limits=self.config.limits)
        if found:
            detail = "; ".join(f"{b.reason.value} {b.source}: {b.value}" for b in found)
            return self._stop(StopReason.from_breach(found[0].reason), now, detail)
        assert self.started_at is not None  # noqa: S101 - every active phase follows start()
        if now - self.started_at >= self.config.max_duration_s:
            elapsed = _fmt(round(now - self.started_at), "s")
            return self._stop(StopReason.MAX_DURATION, now, elapsed)
        return self._advance(view, now)

    def revert_confirmed(
        self, now: float, restored: Mapping[int, Mapping[SettingKey, SettingValue | None]]
    ) -> list[Action]:
        """The revert writes were read back: ``restored`` holds each unit's read-back values.

        Values that do not match the saved ones make the run fail (an acknowledged write is
        not an applied write). After a failure, a later confirmed revert is only recorded.
        """
        mismatches = restore_mismatches(self.plan, restored)
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
        return self._enter(Phase.ABSORPTION, now) if self._absorbing(view) else []

    def _step_absorption(self, view: BankView, now: float) -> list[Action]:
        if not self._tapered(view):
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
        if self._reanchored(view):
            if self.reanchor_since is None:
                self.reanchor_since = float(now)
            if now - self.reanchor_since >= cfg.verify_hold_s:
                self.verified = True
                return self._stop(StopReason.COMPLETED, now, "")
            return []
        self.reanchor_since = None
        if now - self.verify_started_at >= cfg.verify_timeout_s:
            soc = ", ".join(f"pack_{n}: {_fmt(v, '%')}" for n, v in sorted(view.soc.items()))
            return self._stop(StopReason.NOT_REANCHORED, now, soc)
        return []

    def _absorbing(self, view: BankView) -> bool:
        cfg = self.config
        if view.max_cell_voltage is not None and (
            view.max_cell_voltage >= cfg.absorption_cell_voltage
        ):
            return True
        return (
            view.bulk_voltage is not None
            and view.bank_voltage is not None
            and view.bank_voltage >= view.bulk_voltage - cfg.bulk_voltage_margin_v
        )

    def _tapered(self, view: BankView) -> bool:
        """Every pack charges below the taper current, and none is really discharging."""
        return (
            view.max_pack_current is not None
            and view.min_pack_current is not None
            and view.max_pack_current < self.config.taper_current_a
            and view.min_pack_current >= -self.config.taper_discharge_a
        )

    def _reanchored(self, view: BankView) -> bool:
        return (
            view.min_soc is not None
            and view.min_soc >= self.config.reanchor_soc
            and view.voltage_spread is not None
            and view.voltage_spread < self.config.reanchor_voltage_spread
        )

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

    def _enter(self, phase: Phase, now: float) -> list[Action]:
        self.phase = phase
        self.history.append(PhaseEntry(phase, float(now)))
        return [EnterPhase(phase)]

    def _stop(self, reason: StopReason, now: float, detail: str) -> list[Action]:
        self.reason = reason
        self.detail = detail
        self.revert_started_at = float(now)
        actions = self._enter(Phase.REVERTING, now)
        if self.plan:
            actions.append(StartRevert(reason, self.revert_items))
            return actions
        self.restored_at = float(now)  # nothing was written, nothing to restore
        return actions + self._finish(now, Outcome.SUCCEEDED if self.verified else Outcome.ABORTED)

    def _finish(self, now: float, outcome: Outcome) -> list[Action]:
        self.finished_at = float(now)
        return [*self._enter(outcome.phase, now), Finish(outcome, self.reason)]

    def _fail(self, now: float, detail: str) -> list[Action]:
        self.revert_detail = detail
        return self._finish(now, Outcome.FAILED)

    # ---- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (enums as strings, times as floats)."""
        data: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "run_id": self.run_id,
            "method": self.method.value,
            "phase": self.phase.value,
            "config": self.config.to_dict(),
            "plan": [encode_item(item) for item in self.plan],
            "saved": encode_saved(self.saved),
            "history": [{"phase": e.phase.value, "at": e.at} for e in self.history],
            "verified": self.verified,
            "interrupted": self.interrupted,
            "reason": None if self.reason is None else self.reason.value,
            "detail": self.detail,
            "revert_detail": self.revert_detail,
            "max_cell_voltage": self.max_cell_voltage,
            "max_temperature": self.max_temperature,
            "soc_before": encode_soc(self.soc_before),
            "soc_spread_before": self.soc_spread_before,
            "soc_after": encode_soc(self.soc_after),
            "soc_spread_after": self.soc_spread_after,
        }
        for name in _TIMES:
            data[name] = getattr(self, name)
        return data

    @classmethod
    def from_dict(cls, raw: object) -> CalibrationRun:
        """Rebuild a run from ``to_dict`` output; raises RunDataError on untrustworthy data."""
        data = as_dict(raw, "run")
        if data.get("version") != FORMAT_VERSION:
            raise RunDataError(f"unsupported version: {data.get('version')!r}")
        try:
            config = RunConfig.from_dict(data.get("config"))
            method = enum_of(Method, data.get("method"), "method")
            plan = [decode_item(item) for item in as_list(data.get("plan"), "plan")]
            run = cls(
                run_id=as_str(data.get("run_id"), "run_id"),
                method=method,
                plan=plan,
                created_at=as_float(data.get("created_at"), "created_at"),
                config=config,
            )
        except RunDataError:
            raise
        except (ValueError, TypeError) as err:
            raise RunDataError(str(err)) from err
        if "saved" in data and data["saved"] != encode_saved(run.saved):
            raise RunDataError("saved settings disagree with the plan")
        run.phase = enum_of(Phase, data.get("phase"), "phase")
        history = []
        for entry in as_list(data.get("history"), "history"):
            item = as_dict(entry, "history entry")
            history.append(
                PhaseEntry(
                    enum_of(Phase, item.get("phase"), "phase"), as_float(item.get("at"), "at")
                )
            )
        if not history or history[-1].phase is not run.phase:
            raise RunDataError("history does not end in the current phase")
        run.history = history
        for name in _TIMES[1:]:
            setattr(run, name, opt_float(data.get(name), name))
        if run.phase in ACTIVE_PHASES and run.started_at is None:
            raise RunDataError("a started run without a start time")
        run.verified = as_bool(data.get("verified"), "verified")
        run.interrupted = as_bool(data.get("interrupted"), "interrupted")
        reason = data.get("reason")
        run.reason = None if reason is None else enum_of(StopReason, reason, "reason")
        run.detail = as_str(data.get("detail"), "detail")
        run.revert_detail = as_str(data.get("revert_detail"), "revert_detail")
        run.max_cell_voltage = opt_float(data.get("max_cell_voltage"), "max_cell_voltage")
        run.max_temperature = opt_float(data.get("max_temperature"), "max_temperature")
        run.soc_before = decode_soc(data.get("soc_before"), "soc_before")
        run.soc_spread_before = opt_float(data.get("soc_spread_before"), "soc_spread_before")
        run.soc_after = decode_soc(data.get("soc_after"), "soc_after")
        run.soc_spread_after = opt_float(data.get("soc_spread_after"), "soc_spread_after")
        return run

    def summary(self) -> dict[str, Any]:
        """The record of the run for response data, notifications and diagnostics."""
        return {
            "run_id": self.run_id,
            "method": self.method.value,
            "phase": self.phase.value,
            "outcome": None if self.outcome is None else self.outcome.value,
            "reason": None if self.reason is None else self.reason.value,
            "detail": self.detail,
            "revert_detail": self.revert_detail,
            "interrupted": self.interrupted,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration,
            "soc_spread_before": self.soc_spread_before,
            "soc_spread_after": self.soc_spread_after,
            "max_cell_voltage": self.max_cell_voltage,
            "max_temperature": self.max_temperature,
            "phases": [{"phase": e.phase.value, "at": e.at} for e in self.history],
        }
