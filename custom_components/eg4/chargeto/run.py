"""A charge to a target SoC by a deadline: the calibration's run, with its own steps (pure).

``ChargeToRun`` is a ``CalibrationRun``: the same record, stored the same way before the first
write, the same breach and lever watch on every update, the same revert and its read-back.
What differs is how it advances: it writes the planned current with the grid levers
(engaging), charges (``bulk``: "charging"), plans again every ``REPLAN_S`` as the bank charges
and as the sun helps (back to engaging while a new current is written), and stops at the
target (completed, succeeded) or at the deadline (``max_duration``, aborted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Self

from ..calibration import (
    Action,
    ApplyPlan,
    CalibrationRun,
    Method,
    Phase,
    PlanItem,
    RunConfig,
    RunDataError,
    StopReason,
)
from ..calibration.codec import as_dict, as_float, as_list, enum_of, opt_float
from ..calibration.observe import BankView
from ..model import SettingKey, SystemState
from ..refusal import RefusedError
from .planner import (
    ChargeMethod,
    ChargePlan,
    ChargeRequest,
    CurrentSteps,
    bank_soc,
    charge_time_s,
    plan_charge,
)

KIND = "charge_to"
REPLAN_S = 900.0  # how often the current is planned again while the bank charges
# Ahead of plan, a lower current is written only when it is at least this share lower: the
# bank's SoC moves in whole points, so a plan a step lower now and a step higher the next
# time is noise, and every write wears the inverters' settings memory. Higher is always sent.
LOWER_BY = 0.2


class ChargeToRun(CalibrationRun):
    """One supervised charge to a target SoC by a deadline."""

    kind = KIND

    def __init__(self, **kwargs: Any) -> None:
        """A run of the calibration's record; ``attach`` gives it its request."""
        super().__init__(**kwargs)
        self.request = ChargeRequest(target_soc=100.0, deadline=0.0, method=ChargeMethod.GRID)
        self.steps = CurrentSteps(keys=(), minimum=0.0, maximum=0.0, step=1.0, units=1)
        # (from, bank A, per-unit A, the grid's share per unit A), one entry per current set
        self.schedule: list[tuple[float, float, float, float]] = []
        self.finish_at: float | None = None  # when the latest plan expects the target
        self.applied_at: float | None = None  # when the latest current was sent
        self.replanned_at: float | None = None  # when the current was last planned
        self.reached_at: float | None = None  # when the bank read the target
        self._state: SystemState | None = None  # the update being judged

    @classmethod
    def create_charge(
        cls,
        *,
        run_id: str,
        request: ChargeRequest,
        steps: CurrentSteps,
        charge_plan: ChargePlan,
        plan: Sequence[PlanItem],
        state: SystemState,
        now: float,
        config: RunConfig,
    ) -> ChargeToRun:
        """A run that stops at the deadline at the latest (its maximum duration)."""
        config = replace(config, max_duration_s=max(1.0, request.deadline - now))
        run = cls.create(
            run_id=run_id, method=Method.GRID, plan=plan, state=state, now=now, config=config
        )
        run.request, run.steps = request, steps
        run.schedule = [
            (
                float(now),
                charge_plan.current_a,
                charge_plan.per_unit_a,
                charge_plan.grid_per_unit_a,
            )
        ]
        run.finish_at = charge_plan.finish_at
        run.replanned_at = float(now)
        return run

    # ---- views -------------------------------------------------------------------------------

    @property
    def held_values(self) -> tuple[float, float] | None:
        """The current the run's settings hold now, per unit: (charge, the grid's share)."""
        return (self.schedule[-1][2], self.schedule[-1][3]) if self.schedule else None

    def summary(self) -> dict[str, Any]:
        """The calibration's record of the run, and the charge's own figures."""
        return {
            **super().summary(),
            "kind": KIND,
            "charge_method": self.request.method.value,
            "target_soc_pct": self.request.target_soc,
            "deadline": self.request.deadline,
            "expected_finish": self.finish_at,
            "reached_at": self.reached_at,
            "schedule": [
                {
                    "from": at,
                    "current_a": bank,
                    "per_unit_current_a": unit,
                    "grid_per_unit_current_a": grid,
                }
                for at, bank, unit, grid in self.schedule
            ],
        }

    # ---- events ------------------------------------------------------------------------------

    def start(self, now: float) -> list[Action]:
        """Write the current and the grid levers."""
        self.applied_at = float(now)
        return super().start(now)

    def on_update(self, state: SystemState, now: float) -> list[Action]:
        """The calibration's watch (breaches, held levers, the deadline), then this charge."""
        self._state = state
        return super().on_update(state, now)

    def _advance(self, view: BankView, now: float) -> list[Action]:
        """Move on as far as this update justifies (``on_update`` has judged it safe)."""
        actions: list[Action] = []
        while True:
            before = self.phase
            actions += self._step(now)
            if self.phase is before or self.phase is not Phase.BULK:
                return actions

    def _step(self, now: float) -> list[Action]:
        state = self._state
        if state is None:
            return []
        soc = bank_soc(state)
        if self.phase is Phase.ENGAGING:
            if self.engaged_at is not None:
                return self._enter(Phase.BULK, now)
            assert self.applied_at is not None  # noqa: S101 - set when a current is sent
            if now - self.applied_at > self.config.engage_write_timeout_s:
                return self._stop(StopReason.ENGAGE_FAILED, now, "writes not confirmed")
            return []
        if self.phase is not Phase.BULK:
            return []
        if soc is not None and soc >= self.request.target_soc:
            self.verified = True
            self.reached_at = float(now)
            return self._stop(StopReason.COMPLETED, now, f"{soc:g} %")
        if now - (self.replanned_at or 0.0) < REPLAN_S:
            return []
        return self._replan(state, now)

    def _replan(self, state: SystemState, now: float) -> list[Action]:
        """Plan again from where the bank is; write a new current only when it differs."""
        try:
            plan = plan_charge(
                state,
                self.request,
                self.steps,
                now=now,
                taper_current_a=self.config.taper_current_a,
            )
            held = (plan.per_unit_a, plan.grid_per_unit_a)
            bank = plan.current_a
            finish: float | None = plan.finish_at
        except RefusedError:  # behind (or the SoC unknown): the most the family allows
            held = (self.steps.highest, self.steps.highest)
            bank, finish = self.steps.highest * self.steps.units, self.finish_at
        self.finish_at = finish
        self.replanned_at = float(now)
        if self.held_values == held:
            return []
        if self._hold_on(held):  # ahead, but not by enough to be worth a write
            at = self.schedule[-1][1]
            self.finish_at = now + charge_time_s(
                state, self.request.target_soc, at, self.config.taper_current_a
            )
            return []
        self.schedule.append((float(now), bank, *held))
        values = self.steps.settings(*held)
        self.plan = tuple(
            replace(item, to_value=values[item.setting]) if item.setting in values else item
            for item in self.plan
        )
        changed = tuple(item for item in self.plan if item.setting in values)
        self.levers_seen -= {(item.unit, item.setting) for item in changed}
        self.engaged_at = None  # the lever watch waits for the new current's read-back
        self.applied_at = float(now)
        return [*self._enter(Phase.ENGAGING, now), ApplyPlan(changed)]

    def _hold_on(self, planned: tuple[float, float]) -> bool:
        """Whether the current held now stays: the plan is lower, by less than ``LOWER_BY``."""
        current = self.held_values
        if current is None:
            return False
        pairs = list(zip(planned, current, strict=True))
        lower = all(new <= old for new, old in pairs)
        return lower and all(new > (1 - LOWER_BY) * old for new, old in pairs)

    # ---- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The calibration's record with the request, the steps and the schedule."""
        return {
            **super().to_dict(),
            "kind": KIND,
            "charge": {
                "target_soc": self.request.target_soc,
                "deadline": self.request.deadline,
                "method": self.request.method.value,
                "keys": [key.value for key in self.steps.keys],
                "minimum": self.steps.minimum,
                "maximum": self.steps.maximum,
                "step": self.steps.step,
                "units": self.steps.units,
                "grid_key": None if self.steps.grid_key is None else self.steps.grid_key.value,
                "schedule": [list(entry) for entry in self.schedule],
                "finish_at": self.finish_at,
                "applied_at": self.applied_at,
                "replanned_at": self.replanned_at,
                "reached_at": self.reached_at,
            },
        }

    @classmethod
    def from_dict(cls, raw: object) -> Self:
        """Rebuild from ``to_dict``; raises RunDataError on untrustworthy data."""
        run = super().from_dict(raw)
        data = as_dict(as_dict(raw, "run").get("charge"), "charge")
        try:
            run.request = ChargeRequest(
                target_soc=as_float(data.get("target_soc"), "target_soc"),
                deadline=as_float(data.get("deadline"), "deadline"),
                method=enum_of(ChargeMethod, data.get("method"), "method"),
            )
            run.steps = CurrentSteps(
                keys=tuple(
                    enum_of(SettingKey, k, "keys") for k in as_list(data.get("keys"), "keys")
                ),
                minimum=as_float(data.get("minimum"), "minimum"),
                maximum=as_float(data.get("maximum"), "maximum"),
                step=as_float(data.get("step"), "step"),
                units=int(as_float(data.get("units"), "units")),
                grid_key=None
                if data.get("grid_key") is None
                else enum_of(SettingKey, data.get("grid_key"), "grid_key"),
            )
            run.schedule = [
                (
                    as_float(e[0], "from"),
                    as_float(e[1], "current"),
                    as_float(e[2], "per_unit"),
                    as_float(e[3], "grid_per_unit"),
                )
                for e in (
                    as_list(e, "schedule entry") for e in as_list(data.get("schedule"), "schedule")
                )
            ]
        except (IndexError, ValueError) as err:
            raise RunDataError(str(err)) from err
        for name in ("finish_at", "applied_at", "reached_at", "replanned_at"):
            setattr(run, name, opt_float(data.get(name), name))
        return run


def load_run(raw: object) -> CalibrationRun:
    """A stored run of either kind (a record without a kind is a calibration's)."""
    if isinstance(raw, dict) and raw.get("kind") == KIND:
        return ChargeToRun.from_dict(raw)
    return CalibrationRun.from_dict(raw)
