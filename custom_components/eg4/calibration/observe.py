"""The few bank-wide figures a calibration run decides on, read in one pass (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from ..drift import number, spread
from ..model import SettingKey, SystemState
from ..safety import protection_label, temperatures


@dataclass(frozen=True, slots=True, kw_only=True)
class PackView:
    """The figures of one pack a run judges it by; None where the pack lacks the reading."""

    soc: float | None
    current: float | None
    cell_voltage_max: float | None
    cell_delta_mv: float | None  # highest cell minus lowest cell of this pack
    cut_off: bool  # its BMS reports protection: the charge path may be open


@dataclass(frozen=True, slots=True, kw_only=True)
class BankView:
    """Bank-wide figures of one SystemState; None where any pack lacks the reading."""

    pack_count: int
    total_current: float | None
    max_pack_current: float | None
    min_pack_current: float | None
    max_cell_voltage: float | None  # highest cell of any pack that reports one
    max_cell_delta_mv: float | None  # worst pack's cell difference, when every pack reports one
    max_temperature: float | None  # hottest reading of any pack that reports one
    bank_voltage: float | None  # highest pack voltage
    min_soc: float | None
    soc: dict[int, float | None]
    soc_spread: float | None
    voltage_spread: float | None
    bulk_voltage: float | None  # the group's bulk-voltage setting, when all units agree
    packs: dict[int, PackView]


def _all_known(values: list[float | None]) -> list[float] | None:
    known = [v for v in values if v is not None]
    return known if known and len(known) == len(values) else None


def observe(state: SystemState) -> BankView:
    """Read the bank-wide figures of a state."""
    indices = sorted(state.packs)
    packs = {
        n: PackView(
            soc=number(state.packs[n].metrics, "soc"),
            current=number(state.packs[n].metrics, "current"),
            cell_voltage_max=number(state.packs[n].metrics, "cell_voltage_max"),
            cell_delta_mv=number(state.packs[n].metrics, "cell_voltage_delta"),
            cut_off=protection_label(state.packs[n]) is not None,
        )
        for n in indices
    }
    currents = [packs[n].current for n in indices]
    voltages = [number(state.packs[n].metrics, "voltage") for n in indices]
    soc = {n: packs[n].soc for n in indices}
    temps = [t for n in indices for t in temperatures(state.packs[n])]
    known_currents = _all_known(currents)
    known_soc = _all_known(list(soc.values()))
    known_cells = [p.cell_voltage_max for p in packs.values() if p.cell_voltage_max is not None]
    known_deltas = _all_known([packs[n].cell_delta_mv for n in indices])
    known_voltages = [v for v in voltages if v is not None]
    bulk = state.group_setting(SettingKey.BULK_VOLTAGE)
    return BankView(
        pack_count=len(indices),
        total_current=sum(known_currents) if known_currents else None,
        max_pack_current=max(known_currents) if known_currents else None,
        min_pack_current=min(known_currents) if known_currents else None,
        max_cell_voltage=max(known_cells) if known_cells else None,
        max_cell_delta_mv=max(known_deltas) if known_deltas else None,
        max_temperature=max(temps) if temps else None,
        bank_voltage=max(known_voltages) if known_voltages else None,
        min_soc=min(known_soc) if known_soc else None,
        soc=soc,
        soc_spread=spread(soc.values()),
        voltage_spread=spread(_all_known(voltages) or []),
        bulk_voltage=bulk if isinstance(bulk, float) else None,
        packs=packs,
    )
