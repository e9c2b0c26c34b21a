"""The record of a calibration run: what it knows, what it shows, how it is stored (pure).

``RunRecord`` holds a run's fields, its read-only views and its JSON form; ``CalibrationRun``
(machine.py) adds the events and transitions. Stored records of format 1 written before a field
existed load with that field's default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from ..model import SettingKey, SettingValue
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
from .judge import PackTally, tally
from .levers import Seen, restorable
from .plan import Method, PlanItem, revert_plan, saved_settings
from .result import ACTIVE_PHASES, TERMINAL_PHASES, Outcome, Phase, PhaseEntry, StopReason
from .summary import RunSummary

TIMES = (
    "created_at",
    "started_at",
    "engaged_at",
    "stalled_since",
    "taper_since",
    "verify_started_at",
    "reanchor_since",
    "balance_progress_at",
    "revert_started_at",
    "restored_at",
    "finished_at",
)
PACK_SETS = ("packs_full", "packs_cut_off")  # optional in stored records (added later)


class RunRecord:
    """One calibration run's fields and views; the events live in ``CalibrationRun``."""

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
        self.stalled_since: float | None = None  # bulk, grid: when the charge current stopped
        self.taper_since: float | None = None
        self.verify_started_at: float | None = None
        self.reanchor_since: float | None = None
        self.balance_best_mv: float | None = None  # verifying: the lowest worst-pack cell delta
        self.balance_progress_at: float | None = None  # ... last lowered then
        self.revert_started_at: float | None = None
        self.restored_at: float | None = None  # revert confirmed by read-back
        self.finished_at: float | None = None
        self.verified = False  # every pack terminated and held
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
        self.cell_delta_after_mv: float | None = None  # worst pack, at the last update
        self.packs_full: set[int] = set()  # packs seen in their BMS's full condition
        self.packs_cut_off: set[int] = set()  # packs whose BMS reported protection
        self.levers_seen: Seen = set()  # (unit, setting) read back at the lever (not stored)
        # Levers changed outside eg4 during the run: the owner's now, never reverted.
        self.owner_settings: set[SettingKey] = set()

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
    def restorable(self) -> tuple[PlanItem, ...]:
        """The plan's items to put back: all but the settings the owner changed meanwhile."""
        return tuple(restorable(self.plan, self.owner_settings))

    @property
    def revert_items(self) -> tuple[PlanItem, ...]:
        """The writes that restore the everyday settings, in order."""
        return tuple(revert_plan(self.restorable))

    @property
    def packs(self) -> PackTally:
        """The packs by status at the last update (re-anchored, at ceiling, cut off, behind)."""
        return tally(
            self.soc_after,
            full=self.packs_full,
            cut_off=self.packs_cut_off,
            reanchor_soc=self.config.reanchor_soc,
        )

    def run_summary(self) -> RunSummary:
        """The typed record of the run."""
        return RunSummary(
            run_id=self.run_id,
            method=self.method,
            phase=self.phase,
            outcome=self.outcome,
            reason=self.reason,
            detail=self.detail,
            revert_detail=self.revert_detail,
            interrupted=self.interrupted,
            started_at=self.started_at,
            finished_at=self.finished_at,
            duration_s=self.duration,
            soc_spread_before=self.soc_spread_before,
            soc_spread_after=self.soc_spread_after,
            max_cell_voltage=self.max_cell_voltage,
            max_temperature=self.max_temperature,
            cell_delta_after_mv=self.cell_delta_after_mv,
            packs=self.packs,
            phases=tuple(self.history),
        )

    def summary(self) -> dict[str, Any]:
        """The record of the run for response data, notifications and diagnostics (JSON form)."""
        return self.run_summary().to_dict()

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
            "cell_delta_after_mv": self.cell_delta_after_mv,
            "balance_best_mv": self.balance_best_mv,
            "owner_settings": sorted(key.value for key in self.owner_settings),
        }
        for name in PACK_SETS:
            data[name] = sorted(getattr(self, name))
        for name in TIMES:
            data[name] = getattr(self, name)
        return data

    @classmethod
    def from_dict(cls, raw: object) -> Self:
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
        run.history = _decode_history(data.get("history"))
        if run.history[-1].phase is not run.phase:
            raise RunDataError("history does not end in the current phase")
        for name in TIMES[1:]:
            setattr(run, name, opt_float(data.get(name), name))
        if run.phase in ACTIVE_PHASES and run.started_at is None:
            raise RunDataError("a started run without a start time")
        run.verified = as_bool(data.get("verified"), "verified")
        run.interrupted = as_bool(data.get("interrupted"), "interrupted")
        reason = data.get("reason")
        run.reason = None if reason is None else enum_of(StopReason, reason, "reason")
        run.detail = as_str(data.get("detail"), "detail")
        run.revert_detail = as_str(data.get("revert_detail"), "revert_detail")
        for name in ("max_cell_voltage", "max_temperature", "soc_spread_before"):
            setattr(run, name, opt_float(data.get(name), name))
        for name in ("soc_spread_after", "cell_delta_after_mv", "balance_best_mv"):
            setattr(run, name, opt_float(data.get(name), name))
        run.soc_before = decode_soc(data.get("soc_before"), "soc_before")
        run.soc_after = decode_soc(data.get("soc_after"), "soc_after")
        for name in PACK_SETS:
            setattr(run, name, _decode_packs(data.get(name, []), name))
        owners = as_list(data.get("owner_settings", []), "owner_settings")  # (added later)
        run.owner_settings = {enum_of(SettingKey, key, "owner_settings") for key in owners}
        if not run.owner_settings <= {item.setting for item in run.plan}:
            raise RunDataError("owner_settings names a setting the plan does not hold")
        return run


def _decode_history(raw: object) -> list[PhaseEntry]:
    history = []
    for entry in as_list(raw, "history"):
        item = as_dict(entry, "history entry")
        history.append(
            PhaseEntry(enum_of(Phase, item.get("phase"), "phase"), as_float(item.get("at"), "at"))
        )
    if not history:
        raise RunDataError("history does not end in the current phase")
    return history


def _decode_packs(raw: object, name: str) -> set[int]:
    out: set[int] = set()
    for value in as_list(raw, name):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RunDataError(f"bad {name}: {value!r}")
        out.add(value)
    return out
