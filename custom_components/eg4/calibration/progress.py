"""What an owner watches while a calibration runs (pure, no HA imports).

``progress`` reads a run and the bank's latest state at ``now`` and answers: the phase and since
when, how long the run has taken, when it should end, when the taper and verify holds end, which
packs re-anchored and which are still behind (by number), the highest cell against its abort
limit, each pack's current, and which settings the run holds.

The expected end is the plan's estimate (``estimate.estimate``) taken again from the bank as it
is now, and corrected by how fast it really charges: in bulk the charge still to go at the
current the levers allow, divided by the bank's *pace* (the time the estimate gives the SoC the
bank has gained since the start, over the time it took: a cold bank, a weak grid or a bank
charging beside the loads is slower than planned, the demo's twin 30 times faster), plus both
holds (wall-clock times, never scaled); in absorption the top of the charge, or the rest of a
taper hold that has begun, plus the verify hold; in verification the rest of a verify hold that
has begun, or a whole one.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from ..model import SettingKey, SettingValue, SystemState
from .estimate import charge_s, estimate
from .judge import PackTally, tally
from .observe import observe
from .record import RunRecord
from .result import Phase

MINUTE = 60.0
# The pace is measured once the bank has gained this many points of SoC (median of the packs),
# and taken within these bounds (a stalled or jumping reading says nothing about the charge).
PACE_MIN_GAIN = 2.0
PACE_BOUNDS = (0.05, 100.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunProgress:
    """A running calibration as its owner sees it; times are run-clock seconds (epoch)."""

    phase: Phase
    phase_since: float
    started_at: float | None
    elapsed_s: float | None
    expected_end: float | None  # None when the bank does not say (no SoC, no charge current)
    taper_ends_at: float | None  # absorption, once every pack has tapered
    verify_ends_at: float | None  # verification, once every pack has terminated
    packs: PackTally  # by status, from the latest readings and what the run has seen
    max_cell_voltage: float | None
    cell_voltage_limit: float
    pack_currents: dict[int, float | None]
    held: tuple[SettingKey, ...]  # the settings the run holds, in plan order


def levers(run: RunRecord) -> dict[SettingKey, SettingValue]:
    """What the run writes, per setting (every unit gets the same value)."""
    return {item.setting: item.to_value for item in run.plan}


def pace(run: RunRecord, state: SystemState, now: float) -> float | None:
    """How many times faster than the plan's estimate the bank has charged since the start.

    None until the bank has gained ``PACE_MIN_GAIN`` points (the estimate stands until then).
    """
    before = [soc for soc in run.soc_before.values() if soc is not None]
    planned = estimate(state, levers(run), run.config)
    if run.started_at is None or not before or planned.soc is None or planned.current_a is None:
        return None
    start = float(median(before))
    took = now - run.started_at
    if planned.soc - start < PACE_MIN_GAIN or took <= 0:
        return None
    packs = len(state.packs)
    whole = charge_s(start, planned.current_a, packs, run.config)
    left = charge_s(planned.soc, planned.current_a, packs, run.config)
    if whole is None or left is None:
        return None
    low, high = PACE_BOUNDS
    return min(high, max(low, (whole - left) / took))


def remaining_s(run: RunRecord, state: SystemState, now: float) -> float | None:
    """Seconds until the run should end verification; None when unknown or not running."""
    config = run.config
    if run.phase is Phase.VERIFYING:
        if run.reanchor_since is None:
            return config.verify_hold_s
        return max(0.0, run.reanchor_since + config.verify_hold_s - now)
    if run.phase is Phase.ABSORPTION and run.taper_since is not None:
        return max(0.0, run.taper_since + config.taper_hold_s - now) + config.verify_hold_s
    if run.phase not in (Phase.PREFLIGHT, Phase.ENGAGING, Phase.BULK, Phase.ABSORPTION):
        return None  # reverting or over: the end is the revert's read-back, not a charge
    planned = estimate(state, levers(run), config)
    current = planned.current_a
    charging = None if current is None else charge_s(planned.soc, current, len(state.packs), config)
    if charging is None:
        return None
    return charging / (pace(run, state, now) or 1.0) + config.taper_hold_s + config.verify_hold_s


def expected_end(run: RunRecord, state: SystemState, now: float) -> float | None:
    """When the run should end verification, to the minute (it moves with the bank)."""
    left = remaining_s(run, state, now)
    if left is None:
        return None
    return round((now + left) / MINUTE) * MINUTE


def progress(run: RunRecord, state: SystemState, now: float) -> RunProgress:
    """The run's progress at ``now`` from the bank's latest state."""
    config = run.config
    view = observe(state)
    taper_ends = (
        run.taper_since + config.taper_hold_s
        if run.phase is Phase.ABSORPTION and run.taper_since is not None
        else None
    )
    verify_ends = (
        run.reanchor_since + config.verify_hold_s
        if run.phase is Phase.VERIFYING and run.reanchor_since is not None
        else None
    )
    return RunProgress(
        phase=run.phase,
        phase_since=run.history[-1].at,
        started_at=run.started_at,
        elapsed_s=None if run.started_at is None else max(0.0, now - run.started_at),
        expected_end=expected_end(run, state, now),
        taper_ends_at=taper_ends,
        verify_ends_at=verify_ends,
        packs=tally(
            view.soc,
            full=run.packs_full,
            cut_off=run.packs_cut_off,
            reanchor_soc=config.reanchor_soc,
        ),
        max_cell_voltage=view.max_cell_voltage,
        cell_voltage_limit=config.limits.cell_voltage_max,
        pack_currents={index: pack.current for index, pack in view.packs.items()},
        held=tuple(dict.fromkeys(item.setting for item in run.plan)),
    )
