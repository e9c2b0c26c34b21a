"""A test rig that drives a CalibrationRun through realistic bank states."""

from __future__ import annotations

from typing import Any

from custom_components.eg4.calibration import (
    PI_FAMILY_LEVERS,
    Action,
    CalibrationRun,
    Method,
    RunConfig,
    build_plan,
)

from .factory import T0, bank, update

DRIFTED_SOC = [76.0, 52.0, 55.0, 50.0]

# Bank figures of each stage of a grid charge of four paralleled 16s LFP packs.
BULK: dict[str, Any] = {
    "current": 20.0,
    "cell_voltage_max": 3.38,
    "cell_voltage_min": 3.37,
    "voltage": 54.0,
}
ABSORB: dict[str, Any] = {
    "current": 12.0,
    "cell_voltage_max": 3.47,
    "cell_voltage_min": 3.44,
    "voltage": 55.4,
}
TAPER: dict[str, Any] = {
    "current": 3.0,
    "cell_voltage_max": 3.50,
    "cell_voltage_min": 3.47,
    "voltage": 55.6,
}
# The finished top charge: every pack re-anchored, no current to speak of, cells back together.
ANCHORED: dict[str, Any] = {**TAPER, "current": 1.0, "soc": 100.0, "cell_voltage_min": 3.49}


class Rig:
    """A bank plus a run; ``tick`` advances time, feeds readings and returns the actions."""

    def __init__(
        self,
        method: Method = Method.GRID,
        config: RunConfig | None = None,
        packs: int = 4,
        **metrics: Any,
    ) -> None:
        self.now = T0
        metrics.setdefault("soc", DRIFTED_SOC[:packs] if packs <= 4 else 60.0)
        self.state = bank(packs, now=self.now, **metrics)
        self.plan = build_plan(method, self.state, PI_FAMILY_LEVERS)
        self.run = CalibrationRun.create(
            run_id="run-1",
            method=method,
            plan=self.plan,
            state=self.state,
            now=self.now,
            config=config,
        )

    def tick(self, dt: float = 30.0, **metrics: Any) -> list[Action]:
        """Advance time, feed a message from every source, and let the run judge it."""
        self.now += dt
        update(self.state, self.now, **metrics)
        return self.run.on_update(self.state, self.now)

    def hold(self, seconds: float, step: float = 60.0, **metrics: Any) -> list[Action]:
        """Feed the same readings for ``seconds`` in steps; return every action."""
        actions: list[Action] = []
        elapsed = 0.0
        while elapsed < seconds:
            dt = min(step, seconds - elapsed)
            elapsed += dt
            actions += self.tick(dt, **metrics)
        return actions

    # ---- reach a phase -----------------------------------------------------------------------

    def engaging(self, *, confirmed: bool = True) -> Rig:
        self.run.start(self.now)
        if confirmed:
            self.now += 20
            self.run.engaged(self.now)
        return self

    def bulk(self) -> Rig:
        self.engaging()
        self.tick(**BULK)
        return self

    def absorption(self) -> Rig:
        self.bulk()
        self.tick(**ABSORB, soc=[95.0, 88.0, 90.0, 86.0][: len(self.state.packs)])
        return self

    def verifying(self) -> Rig:
        self.absorption()
        self.hold(self.run.config.taper_hold_s + 60, **TAPER)
        return self

    def verified(self) -> list[Action]:
        self.verifying()
        return self.hold(self.run.config.verify_hold_s + 60, **ANCHORED)

    def restored(self) -> dict[int, dict[Any, Any]]:
        """Read-back values equal to the saved ones."""
        return self.run.saved
