"""The digital twin: packs on a shared bus, parallel inverters, a clock and fault injection.

The model has no wall clock: :meth:`Twin.step` advances simulated time by ``dt_s`` (internally
in sub-steps of at most ``max_substep_s``). All randomness comes from one seeded RNG, so the
same config, seed and sequence of calls give identical results.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .bank import branches
from .bms import Bms, BmsLimits
from .cell import Cell
from .dispatch import GroupResult, UnitPlan, plan_unit, run_group
from .environment import PvProfile
from .faults import FaultInjector
from .inverter import Inverter
from .pack import Pack, Thermal
from .protocols import EncodingError, Protocol, decode
from .settings import Command, InverterSettings, Setting, SettingValue, normalise, validate

_LOG = logging.getLogger("simulator.twin")


class ChargeStage(StrEnum):
    """Charger stage shared by the parallel group."""

    BULK = "bulk"
    ABSORB = "absorb"
    FLOAT = "float"


@dataclass(kw_only=True)
class TwinConfig:
    """Everything needed to build a twin. Settings apply to every unit.

    ``counter_offsets_pct`` / ``counter_gain_errors`` give per-pack BMS drift (pack 1 first;
    missing entries are drawn within ``counter_gain_spread``): the counter starts at true SoC +
    offset and counts ``current * (1 + gain_error ± asymmetry)`` (asymmetry drawn within
    ``counter_asymmetry_spread``; + charging, - discharging) and never sees self-discharge.

    Cells: capacity within ±``cell_capacity_spread``, top-balanced with a charge gap within
    ±``cell_soc_spread`` of nominal, resistance within ±``cell_resistance_spread``, self-discharge
    ``self_discharge_per_day`` ± ``self_discharge_spread_per_day`` (fraction of capacity).
    ``weather`` scales the PV day by day (day 0 is the start day; the list repeats).
    ``ambient_swing_c`` moves the packs' ambient through the day (warmest at 15:00).
    ``mismatch_fault_after_s``: units whose settings differ this long go to Fault (86).
    """

    inverters: int = 2
    packs: int = 6
    cells_per_pack: int = 16
    pack_capacity_ah: float = 100.0
    seed: int = 0
    start_hour: float = 21.0
    house_load_w: float = 1200.0
    load_noise_w: float = 0.0
    grid_available: bool = True
    pv: PvProfile = field(default_factory=PvProfile)
    ambient_c: float = 25.0
    initial_soc: float = 0.60
    counter_offsets_pct: tuple[float, ...] = ()
    counter_gain_errors: tuple[float, ...] = ()
    counter_gain_spread: float = 0.005
    counter_asymmetry_spread: float = 0.003
    cell_capacity_spread: float = 0.025
    cell_soc_spread: float = 0.001
    cell_ocv_spread_v: float = 0.002
    cell_resistance_ohm: float = 0.0006
    cell_resistance_spread: float = 0.10
    self_discharge_per_day: float = 0.0005
    self_discharge_spread_per_day: float = 0.0001
    ambient_swing_c: float = 0.0
    weather: tuple[float, ...] = ()
    max_substep_s: float = 10.0
    protocol: Protocol = Protocol.PI18
    settings: InverterSettings = field(default_factory=InverterSettings)
    rated_w: float = 6000.0
    bms_limits: BmsLimits = field(default_factory=BmsLimits)
    absorb_exit_c: float = 0.02
    absorb_exit_s: float = 1800.0
    rebulk_below_float_v: float = 1.2
    rebulk_idle_s: float = 3600.0
    mismatch_fault_after_s: float | None = 300.0


@dataclass(frozen=True)
class UnitResult:
    """Outcome of a command on one unit."""

    unit: int
    accepted: bool
    reason: str = ""
    apply_at_s: float | None = None


@dataclass(frozen=True)
class CommandResult:
    """Outcome of one submitted command (possibly to several units)."""

    results: tuple[UnitResult, ...]

    @property
    def accepted(self) -> bool:
        """True only if every unit accepted."""
        return bool(self.results) and all(r.accepted for r in self.results)

    @property
    def reason(self) -> str:
        """First rejection reason, or empty."""
        return next((r.reason for r in self.results if not r.accepted), "")


@dataclass(frozen=True)
class JournalEntry:
    """One command as the twin saw it."""

    clock_s: float
    source: str
    units: tuple[int, ...]
    request: str
    accepted: bool
    reason: str
    apply_at_s: float | None = None


@dataclass(frozen=True)
class _Pending:
    apply_at_s: float
    unit: int
    command: Command


class Twin:
    """Digital twin of an EG4 parallel inverter group and its battery bank."""

    def __init__(self, config: TwinConfig | None = None) -> None:
        """Build packs and units from config (defaults: 2 units, 6 x 100 Ah, seed 0)."""
        self.config = config if config is not None else TwinConfig()
        cfg = self.config
        if cfg.inverters < 1 or cfg.packs < 1:
            raise ValueError("need at least one inverter and one pack")
        self.rng = random.Random(cfg.seed)  # noqa: S311 - reproducible model noise, not crypto
        self.clock_s = 0.0
        self.grid_available = cfg.grid_available
        self.house_load_w = cfg.house_load_w
        self.pv_scale = 1.0
        self.weather = cfg.weather
        self.packs = [self._make_pack(i + 1) for i in range(cfg.packs)]
        self.inverters = [
            Inverter(index=i + 1, settings=cfg.settings, rated_w=cfg.rated_w)
            for i in range(cfg.inverters)
        ]
        self.faults = FaultInjector()
        self.journal: list[JournalEntry] = []
        self.dropouts: list[tuple[float, float]] = []
        self.charge_stage = ChargeStage.BULK
        self.bus_voltage = sum(p.voltage for p in self.packs) / len(self.packs)
        self.bank_current_a = 0.0
        self.requested_charge_a = 0.0
        self.cv_limited = False
        self.faulted = False
        self._pending: list[_Pending] = []
        self._absorb_timer_s = 0.0
        self._idle_s = 0.0
        self._mismatch_s = 0.0
        self.refresh(settle=True)

    # ------------------------------------------------------------------ construction
    def _make_pack(self, index: int) -> Pack:
        cfg = self.config
        rng = self.rng
        cells = []
        nominal = cfg.pack_capacity_ah
        for _ in range(cfg.cells_per_pack):
            cap = nominal * (1.0 + rng.uniform(-1, 1) * cfg.cell_capacity_spread)
            gap = (1.0 - cfg.initial_soc + rng.uniform(-1, 1) * cfg.cell_soc_spread) * nominal
            leak = cfg.self_discharge_per_day + rng.uniform(-1, 1) * (
                cfg.self_discharge_spread_per_day
            )
            cells.append(
                Cell(
                    capacity_ah=cap,
                    charge_ah=max(0.0, cap - gap),
                    resistance_ohm=cfg.cell_resistance_ohm
                    * (1.0 + rng.uniform(-1, 1) * cfg.cell_resistance_spread),
                    ocv_offset_v=rng.uniform(-1, 1) * cfg.cell_ocv_spread_v,
                    self_discharge_per_day=max(0.0, leak),
                )
            )
        thermal = Thermal(
            temperature_c=cfg.ambient_c + rng.uniform(-0.5, 0.5),
            ambient_c=cfg.ambient_c,
            swing_c=cfg.ambient_swing_c,
        )
        offsets, gains = cfg.counter_offsets_pct, cfg.counter_gain_errors
        offset = offsets[index - 1] if index <= len(offsets) else 0.0
        drawn_gain = rng.uniform(-1, 1) * cfg.counter_gain_spread
        bms = Bms(
            capacity_ah=nominal,
            counter_ah=cfg.initial_soc * nominal,
            gain_error=gains[index - 1] if index <= len(gains) else drawn_gain,
            asymmetry=rng.uniform(-1, 1) * cfg.counter_asymmetry_spread,
            limits=cfg.bms_limits,
        )
        bms.set_soc_pct(cfg.initial_soc * 100.0 + offset)
        sensors = (rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3))
        return Pack(
            index=index,
            cells=cells,
            bms=bms,
            thermal=thermal,
            sensor_offsets_c=sensors,
            cycles_base=rng.randint(120, 240),
        )

    # ------------------------------------------------------------------ queries
    @property
    def time_of_day_h(self) -> float:
        """Local time of day (hours, 0..24) at the simulated clock."""
        return (self.config.start_hour + self.clock_s / 3600.0) % 24.0

    @property
    def grid_charge_a(self) -> float:
        """Total current the group is charging the bank with from the grid."""
        return sum(inv.flows.grid_charge_a for inv in self.inverters)

    @property
    def solar_charge_a(self) -> float:
        """Total current the group is charging the bank with from PV."""
        return sum(inv.flows.solar_charge_a for inv in self.inverters)

    def pack(self, number: int) -> Pack:
        """Pack by 1-based number."""
        return self.packs[number - 1]

    def inverter(self, number: int) -> Inverter:
        """Inverter unit by 1-based number."""
        return self.inverters[number - 1]

    def pack_voltages(self) -> list[float]:
        """Reported pack voltages (V)."""
        return [p.voltage for p in self.packs]

    def soc_readings(self) -> list[int]:
        """BMS-reported SoC per pack (%)."""
        return [p.bms.soc_pct for p in self.packs]

    @property
    def bank_soc_pct(self) -> int:
        """The bank's SoC as the master BMS reports it to the units: the rounded mean counter."""
        return round(sum(p.bms.soc_exact_pct for p in self.packs) / len(self.packs))

    @property
    def pv_weather(self) -> float:
        """Today's PV scale from ``weather`` (``config.weather``; 1.0 without weather)."""
        days = self.weather
        if not days:
            return 1.0
        day = int((self.config.start_hour * 3600.0 + self.clock_s) // 86400.0)
        return days[day % len(days)]

    def telemetry_suppressed(self) -> bool:
        """True inside a telemetry dropout window."""
        return any(start <= self.clock_s < end for start, end in self.dropouts)

    def add_dropout(self, start_s: float, duration_s: float) -> None:
        """Stop the faces publishing between start_s and start_s + duration_s (sim clock)."""
        self.dropouts.append((start_s, start_s + duration_s))

    # ------------------------------------------------------------------ direct control
    def force_settings(self, units: Sequence[int] | None = None, **values: SettingValue) -> None:
        """Set settings without firmware checks (scenario and test set-up)."""
        changes = tuple((Setting(k), v) for k, v in values.items())
        for inv in self._units(units):
            inv.settings = inv.settings.with_changes(normalise(Command(changes)).changes)

    def _units(self, units: Sequence[int] | None) -> list[Inverter]:
        if units is None:
            return list(self.inverters)
        return [self.inverter(u) for u in units]

    # ------------------------------------------------------------------ commands
    def submit(
        self, units: Sequence[int], command: Command, *, source: str = "api"
    ) -> CommandResult:
        """Deliver one command to units (1-based) as firmware would: NAK, apply or delay."""
        command = normalise(command)
        known = [u for u in units if 1 <= u <= len(self.inverters)]
        results: dict[int, UnitResult] = {
            u: UnitResult(u, accepted=False, reason=f"no inverter {u}")
            for u in units
            if u not in known
        }
        settings = {u: self.inverter(u).settings for u in known}
        naks = self.faults.naks(known, settings, command)
        accepted: list[int] = []
        for u in known:
            reason = naks.get(u) or validate(settings[u], command)
            if reason is not None:
                results[u] = UnitResult(u, accepted=False, reason=reason)
            else:
                accepted.append(u)
        delays = self.faults.delay_for(accepted, command)
        for u in accepted:
            if delays[u] > 0.0:
                at = self.clock_s + delays[u]
                self._pending.append(_Pending(at, u, command))
                results[u] = UnitResult(u, accepted=True, apply_at_s=at)
            else:
                self._apply(u, command)
                results[u] = UnitResult(u, accepted=True, apply_at_s=self.clock_s)
        out = CommandResult(tuple(results[u] for u in units))
        self._record(source, tuple(units), command.describe(), out)
        return out

    def submit_raw(self, raws: Mapping[int, str], *, source: str = "raw") -> CommandResult:
        """One bridge command sent as raw protocol strings, unit (1-based) -> string.

        The device decodes each string in its own protocol (``config.protocol``); a string it
        cannot parse is a NAK for that unit. Units whose strings decode to the same command
        receive it as one submit (so fault-injection counts it once).
        """
        rejected: list[UnitResult] = []
        groups: dict[Command, list[int]] = {}
        for unit, raw in raws.items():
            try:
                decoded = decode(self.config.protocol, raw)
            except EncodingError as err:
                rejected.append(UnitResult(unit, accepted=False, reason=f"NAK: {err}"))
                self._record(source, (unit,), raw, CommandResult((rejected[-1],)))
                continue
            target = unit if decoded.unit is None else decoded.unit + 1
            groups.setdefault(decoded.command, []).append(target)
        results = list(rejected)
        for command, units in groups.items():
            results.extend(self.submit(units, command, source=source).results)
        results.sort(key=lambda r: r.unit)
        return CommandResult(tuple(results))

    def record_rejection(self, source: str, request: str, reason: str) -> None:
        """Journal a command a face refused before it reached any unit."""
        self.journal.append(
            JournalEntry(self.clock_s, source, (), request, accepted=False, reason=reason)
        )
        _LOG.info("%s rejected %s: %s", source, request, reason)

    def _record(
        self, source: str, units: tuple[int, ...], request: str, out: CommandResult
    ) -> None:
        apply_at = max((r.apply_at_s or 0.0) for r in out.results) if out.accepted else None
        self.journal.append(
            JournalEntry(
                self.clock_s,
                source,
                units,
                request,
                accepted=out.accepted,
                reason=out.reason,
                apply_at_s=apply_at,
            )
        )
        if out.accepted:
            _LOG.info("%s applied %s on units %s", source, request, list(units))
        else:
            _LOG.info("%s rejected %s on units %s: %s", source, request, list(units), out.reason)

    def _apply(self, unit: int, command: Command) -> None:
        inv = self.inverter(unit)
        inv.settings = inv.settings.with_changes(command.changes)

    def _apply_due(self) -> None:
        due = [p for p in self._pending if p.apply_at_s <= self.clock_s + 1e-9]
        if not due:
            return
        self._pending = [p for p in self._pending if p.apply_at_s > self.clock_s + 1e-9]
        for p in sorted(due, key=lambda p: p.apply_at_s):
            self._apply(p.unit, p.command)
            _LOG.info("delayed write applied on unit %s: %s", p.unit, p.command.describe())

    # ------------------------------------------------------------------ time
    def step(self, dt_s: float) -> None:
        """Advance simulated time by dt_s seconds."""
        if dt_s < 0:
            raise ValueError("dt_s must be >= 0")
        remaining = dt_s
        while remaining > 1e-9:
            h = min(remaining, self.config.max_substep_s)
            self._substep(h)
            remaining -= h

    def refresh(self, *, settle: bool = False) -> None:
        """Recompute flows and readbacks without advancing time (after a manual change).

        With settle, each cell's RC voltage starts at its steady state for the current flow,
        as if the present conditions had held for a while.
        """
        self._substep(0.0)
        if settle:
            for pack in self.packs:
                pack.settle_rc()
            self._substep(0.0)

    def run(self, duration_s: float, dt_s: float = 60.0) -> None:
        """Step repeatedly for duration_s."""
        end = self.clock_s + duration_s
        while self.clock_s < end - 1e-9:
            self.step(min(dt_s, end - self.clock_s))

    def _substep(self, h: float) -> None:
        self._apply_due()
        for inv in self.inverters:
            inv.expire_quick(self.clock_s)
        cfg = self.config
        self._update_mismatch(h)
        hour = self.time_of_day_h
        load = self.house_load_w
        if cfg.load_noise_w > 0.0 and h > 0.0:
            load = max(0.0, load + self.rng.gauss(0.0, cfg.load_noise_w))
        per_unit_load = load / len(self.inverters)
        pv_w = cfg.pv.power_w(hour, self.pv_scale * self.pv_weather)
        bank_soc = self.bank_soc_pct
        under = min(inv.settings.under_voltage_v for inv in self.inverters)
        can_discharge = any(p.discharge_allowed for p in self.packs) and self.bus_voltage > under
        plans: list[UnitPlan] = [
            plan_unit(
                inv,
                load_w=per_unit_load,
                pv_w=pv_w,
                grid_available=self.grid_available,
                bus_v=self.bus_voltage,
                floating=self.charge_stage is ChargeStage.FLOAT,
                faulted=self.faulted,
                bank_can_discharge=can_discharge,
                bank_soc_pct=bank_soc,
            )
            for inv in self.inverters
        ]
        result = run_group(
            plans,
            branches(self.packs, h),
            bus_v=self.bus_voltage,
            grid_available=self.grid_available,
        )
        self.clock_s += h
        for pack, current in zip(self.packs, result.bus.currents, strict=True):
            pack.apply_current(current, h, self.clock_s, hour)
        self._after_step(h, result)

    def _after_step(self, h: float, result: GroupResult) -> None:
        cfg = self.config
        self.bus_voltage = result.bus.voltage
        self.bank_current_a = sum(result.bus.currents)
        self.requested_charge_a = result.requested_charge_a
        self.cv_limited = result.cv_limited
        for inv, flows in zip(self.inverters, result.flows, strict=True):
            flows.pv_v = cfg.pv.voltage_v(flows.pv_available_w, inv.index)
            flows.temperature_c = (
                cfg.ambient_c + 5.0 + 15.0 * min(1.0, (flows.load_w + flows.pv_w) / inv.rated_w)
            )
            inv.flows = flows
            inv.update_latches(self.bus_voltage, self.grid_available)
        self._update_stage(h, result)

    def _update_stage(self, h: float, result: GroupResult) -> None:
        cfg = self.config
        if result.requested_charge_a <= 0.01:
            self._idle_s += h
            if self._idle_s >= cfg.rebulk_idle_s:
                self.charge_stage = ChargeStage.BULK
                self._absorb_timer_s = 0.0
            return
        self._idle_s = 0.0
        if self.charge_stage is ChargeStage.BULK and result.cv_limited:
            self.charge_stage = ChargeStage.ABSORB
        if self.charge_stage is ChargeStage.ABSORB:
            exit_a = cfg.absorb_exit_c * cfg.pack_capacity_ah * len(self.packs)
            if result.cv_limited and result.charge_a < exit_a:
                self._absorb_timer_s += h
            else:
                self._absorb_timer_s = 0.0
            if self._absorb_timer_s >= cfg.absorb_exit_s:
                self.charge_stage = ChargeStage.FLOAT
                self._absorb_timer_s = 0.0
        elif self.charge_stage is ChargeStage.FLOAT:
            floor = min(inv.settings.float_v for inv in self.inverters) - cfg.rebulk_below_float_v
            if self.bus_voltage < floor:
                self.charge_stage = ChargeStage.BULK

    def _update_mismatch(self, h: float) -> None:
        limit = self.config.mismatch_fault_after_s
        first = self.inverters[0].settings
        same = all(inv.settings == first for inv in self.inverters)
        if limit is None or same:
            self._mismatch_s = 0.0
            self.faulted = False
            return
        self._mismatch_s += h
        self.faulted = self._mismatch_s >= limit
