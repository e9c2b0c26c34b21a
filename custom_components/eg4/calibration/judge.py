"""What a run concludes from a BankView: absorbing, tapered, and which packs re-anchored (pure).

A BMS re-anchors its counter on its *full condition*: highest cell in the absorption region,
current tapered, held for a while, charge path closed. A pack's SoC reading alone proves nothing
at the top of charge:

- A counter that drifted high clamps at 100 % long before the pack is full: a pack reading at
  its ceiling that the run never saw in its full condition is a counter at its ceiling, not a
  re-anchor (``AT_CEILING``). The others then read far lower.
- A BMS that cut its pack off (over-voltage protection: charge switch open) sees no current and
  a high cell, and may set its counter to 100 % at a true 95 %. A pack whose BMS reported
  protection during the run is not counted as re-anchored (``CUT_OFF``). The model carries the
  protection flags only; a charge-switch reading, where a bridge offers one, would also catch
  a switch opened without a flag.

A pack has *terminated* when it is re-anchored, its own current has tapered, and its cells are
back together (highest minus lowest cell under ``reanchor_cell_delta_mv``): the manufacturer's
rule for a finished top charge is 100 %, no charge current, cells within 10 mV.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum

from ..drift import exceeds
from .config import RunConfig
from .observe import BankView, PackView


class PackStatus(StrEnum):
    """What a pack's reading is worth at the end of a charge."""

    REANCHORED = "reanchored"  # reads >= reanchor_soc, seen in its full condition
    AT_CEILING = "at_ceiling"  # reads >= reanchor_soc, never seen in its full condition
    CUT_OFF = "cut_off"  # its BMS reported protection during the run
    BEHIND = "behind"  # reads below reanchor_soc, or nothing


@dataclass(frozen=True, slots=True)
class PackTally:
    """The bank's packs by status, each a tuple of pack numbers (ascending)."""

    reanchored: tuple[int, ...] = ()
    at_ceiling: tuple[int, ...] = ()
    cut_off: tuple[int, ...] = ()
    behind: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, list[int]]:
        """JSON-ready form, one list of pack numbers per status."""
        return {
            "packs_reanchored": list(self.reanchored),
            "packs_at_ceiling": list(self.at_ceiling),
            "packs_cut_off": list(self.cut_off),
            "packs_behind": list(self.behind),
        }


def pack_status(
    index: int,
    soc: float | None,
    *,
    full: AbstractSet[int],
    cut_off: AbstractSet[int],
    reanchor_soc: float,
) -> PackStatus:
    """The status of one pack from its reading and what the run saw of it."""
    if index in cut_off:
        return PackStatus.CUT_OFF
    if soc is None or soc < reanchor_soc:
        return PackStatus.BEHIND
    return PackStatus.REANCHORED if index in full else PackStatus.AT_CEILING


def tally(
    soc: Mapping[int, float | None],
    *,
    full: AbstractSet[int],
    cut_off: AbstractSet[int],
    reanchor_soc: float,
) -> PackTally:
    """Every pack of ``soc`` by status."""
    groups: dict[PackStatus, list[int]] = {status: [] for status in PackStatus}
    for index in sorted(soc):
        status = pack_status(
            index, soc[index], full=full, cut_off=cut_off, reanchor_soc=reanchor_soc
        )
        groups[status].append(index)
    return PackTally(
        reanchored=tuple(groups[PackStatus.REANCHORED]),
        at_ceiling=tuple(groups[PackStatus.AT_CEILING]),
        cut_off=tuple(groups[PackStatus.CUT_OFF]),
        behind=tuple(groups[PackStatus.BEHIND]),
    )


def witness(view: BankView, config: RunConfig, full: set[int], cut_off: set[int]) -> None:
    """Add what this update shows: packs cut off, packs in their full condition."""
    for index, pack in view.packs.items():
        if pack.cut_off:
            cut_off.add(index)
        elif (
            pack.cell_voltage_max is not None
            and pack.cell_voltage_max >= config.absorption_cell_voltage
            and pack.current is not None
            and -config.taper_discharge_a <= pack.current < config.taper_current_a
        ):
            full.add(index)


def absorbing(view: BankView, config: RunConfig) -> bool:
    """The highest cell, or the bank voltage near the bulk setting, says absorption began."""
    if (
        view.max_cell_voltage is not None
        and view.max_cell_voltage >= config.absorption_cell_voltage
    ):
        return True
    return (
        view.bulk_voltage is not None
        and view.bank_voltage is not None
        and view.bank_voltage >= view.bulk_voltage - config.bulk_voltage_margin_v
    )


def tapered(view: BankView, config: RunConfig) -> bool:
    """Every pack charges below the taper current, and none is really discharging."""
    return (
        view.max_pack_current is not None
        and view.min_pack_current is not None
        and view.max_pack_current < config.taper_current_a
        and view.min_pack_current >= -config.taper_discharge_a
    )


def _pack_terminated(pack: PackView, status: PackStatus, config: RunConfig) -> bool:
    return (
        status is PackStatus.REANCHORED
        and pack.current is not None
        and -config.taper_discharge_a <= pack.current < config.taper_current_a
        and pack.cell_delta_mv is not None
        and pack.cell_delta_mv < config.reanchor_cell_delta_mv
    )


def unterminated(
    view: BankView, config: RunConfig, *, full: AbstractSet[int], cut_off: AbstractSet[int]
) -> dict[int, str]:
    """Each pack that has not terminated, with why: ``{2: "behind (93 %, 12.3 A, 35 mV)"}``."""
    out: dict[int, str] = {}
    for index, pack in sorted(view.packs.items()):
        status = pack_status(
            index, pack.soc, full=full, cut_off=cut_off, reanchor_soc=config.reanchor_soc
        )
        if not _pack_terminated(pack, status, config):
            out[index] = f"{_word(pack, status, config)} ({_figures(pack)})"
    return out


def terminated(
    view: BankView, config: RunConfig, *, full: AbstractSet[int], cut_off: AbstractSet[int]
) -> bool:
    """Every pack terminated, and the pack voltages agree: the bank is re-anchored."""
    return (
        view.pack_count > 0
        and not unterminated(view, config, full=full, cut_off=cut_off)
        and _voltages_agree(view, config)
    )


def _voltages_agree(view: BankView, config: RunConfig) -> bool:
    """Every pack's voltage known and within ``reanchor_voltage_spread`` of the others.

    "Within" as the README, the drift check and the pre-flight read it: 0.1 V apart agree.
    """
    spread = view.voltage_spread
    return spread is not None and not exceeds(spread, config.reanchor_voltage_spread)


def holding(
    view: BankView, config: RunConfig, *, full: AbstractSet[int], cut_off: AbstractSet[int]
) -> str:
    """What keeps the bank from being re-anchored, for a run's detail.

    Each pack not terminated, and the pack voltages when they do not agree:
    ``pack_2: behind (93 %, 1 A, 10 mV); pack voltages 0.15 V apart (at most 0.1 V)``.
    """
    parts = [describe(unterminated(view, config, full=full, cut_off=cut_off))]
    if view.voltage_spread is None:
        parts.append("pack voltages unknown")
    elif not _voltages_agree(view, config):
        parts.append(
            f"pack voltages {view.voltage_spread:.2f} V apart"
            f" (at most {config.reanchor_voltage_spread:g} V)"
        )
    return "; ".join(part for part in parts if part)


def describe(packs: Mapping[int, str]) -> str:
    """``pack_2: behind (93 %, 1 A, 10 mV); pack_4: ...``."""
    return "; ".join(f"pack_{index}: {text}" for index, text in sorted(packs.items()))


def _word(pack: PackView, status: PackStatus, config: RunConfig) -> str:
    if status is not PackStatus.REANCHORED:
        return status.value
    if pack.current is None or pack.current >= config.taper_current_a:
        return "charging"
    if pack.current < -config.taper_discharge_a:
        return "discharging"
    return "unbalanced"


def _figures(pack: PackView) -> str:
    """The pack's known figures: ``93 %, 12.3 A, 35 mV``."""
    figures = ((pack.soc, "%"), (pack.current, "A"), (pack.cell_delta_mv, "mV"))
    return ", ".join(f"{value:g} {unit}" for value, unit in figures if value is not None)
