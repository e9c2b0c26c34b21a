"""The calibration's decisions exactly at their thresholds (calibration/judge.py).

Each threshold is read the way its setting is documented: a pack re-anchors reading *at least*
``reanchor_soc``; absorption begins *at* ``absorption_cell_voltage`` or with the bank voltage
*within* ``bulk_voltage_margin_v`` of the bulk setting; a taper is every pack charging *below*
``taper_current_a`` with none discharging *more than* ``taper_discharge_a``; a terminated pack's
cells are *under* ``reanchor_cell_delta_mv`` apart; the pack voltages agree *within*
``reanchor_voltage_spread``. A mutation run flipped each of these comparisons unnoticed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.eg4.calibration import RunConfig
from custom_components.eg4.calibration.judge import (
    PackStatus,
    absorbing,
    holding,
    pack_status,
    tapered,
    terminated,
    witness,
)
from custom_components.eg4.calibration.observe import BankView, PackView

CONFIG = RunConfig()
# A pack at the end of a top charge: full, tapered, cells together.
DONE = PackView(soc=100.0, current=0.5, cell_voltage_max=3.50, cell_delta_mv=8.0, cut_off=False)
# ... and how a pack reading 97 % is described.
LAGGING = "pack_2: behind (97 %, 0.5 A, 8 mV)"


def bank(*packs: PackView, spread: float | None = 0.02, bulk: float | None = None) -> BankView:
    """A bank of ``packs`` (numbered from 1) with a pack-voltage spread and a bulk setting."""
    currents = [p.current for p in packs if p.current is not None]
    cells = [p.cell_voltage_max for p in packs if p.cell_voltage_max is not None]
    return BankView(
        pack_count=len(packs),
        total_current=sum(currents) if currents else None,
        max_pack_current=max(currents) if currents else None,
        min_pack_current=min(currents) if currents else None,
        max_cell_voltage=max(cells) if cells else None,
        max_cell_delta_mv=None,
        max_temperature=None,
        bank_voltage=55.6,
        min_soc=None,
        soc={n: p.soc for n, p in enumerate(packs, 1)},
        soc_spread=None,
        voltage_spread=spread,
        bulk_voltage=bulk,
        packs=dict(enumerate(packs, 1)),
    )


@pytest.mark.parametrize(
    ("soc", "status"),
    [(99.0, PackStatus.REANCHORED), (98.9, PackStatus.BEHIND), (None, PackStatus.BEHIND)],
)
def test_a_pack_reanchors_reading_at_least_reanchor_soc(
    soc: float | None, status: PackStatus
) -> None:
    assert pack_status(1, soc, full={1}, cut_off=set(), reanchor_soc=99.0) is status


@pytest.mark.parametrize(("cell", "full"), [(3.45, True), (3.449, False)])
def test_the_full_condition_and_absorption_begin_at_the_absorption_cell_voltage(
    cell: float, full: bool
) -> None:
    view = bank(replace(DONE, cell_voltage_max=cell))
    seen: set[int] = set()
    witness(view, CONFIG, seen, set())
    assert (seen == {1}) is full
    assert absorbing(view, CONFIG) is full


@pytest.mark.parametrize(("voltage", "within"), [(56.0, True), (55.99, False)])
def test_absorption_begins_with_the_bank_voltage_within_the_margin_of_bulk(
    voltage: float, within: bool
) -> None:
    config = RunConfig(bulk_voltage_margin_v=0.5)
    view = replace(bank(replace(DONE, cell_voltage_max=3.40), bulk=56.5), bank_voltage=voltage)
    assert absorbing(view, config) is within


@pytest.mark.parametrize(
    ("current", "taper"),
    [(4.99, True), (5.0, False), (-1.0, True), (-1.01, False)],
)
def test_a_taper_is_below_the_taper_current_and_no_discharge_beyond_its_allowance(
    current: float, taper: bool
) -> None:
    view = bank(DONE, replace(DONE, current=current))
    assert tapered(view, CONFIG) is taper
    seen: set[int] = set()
    witness(view, CONFIG, seen, set())
    assert (2 in seen) is taper  # the full condition needs the same taper
    assert terminated(view, CONFIG, full={1, 2}, cut_off=set()) is taper


@pytest.mark.parametrize(("delta_mv", "done"), [(19.9, True), (20.0, False)])
def test_a_terminated_pack_has_its_cells_under_the_cell_difference(
    delta_mv: float, done: bool
) -> None:
    view = bank(DONE, replace(DONE, cell_delta_mv=delta_mv))
    assert terminated(view, CONFIG, full={1, 2}, cut_off=set()) is done


@pytest.mark.parametrize(
    ("spread", "agree"), [(0.1, True), (0.10000000000000142, True), (0.11, False), (None, False)]
)
def test_the_pack_voltages_agree_within_the_spread(spread: float | None, agree: bool) -> None:
    view = bank(DONE, DONE, spread=spread)
    assert terminated(view, CONFIG, full={1, 2}, cut_off=set()) is agree


def test_a_bank_of_one_pack_can_terminate_and_an_empty_one_cannot() -> None:
    assert terminated(bank(DONE, spread=0.0), CONFIG, full={1}, cut_off=set())
    assert not terminated(bank(spread=None), CONFIG, full=set(), cut_off=set())


@pytest.mark.parametrize(
    ("spread", "voltages"),
    [
        (0.10000000000000142, ""),
        (0.12, "pack voltages 0.12 V apart (at most 0.1 V)"),
        (None, "pack voltages unknown"),
    ],
)
def test_what_holds_the_bank_names_the_voltages_only_when_they_disagree(
    spread: float | None, voltages: str
) -> None:
    lagging = bank(DONE, replace(DONE, soc=97.0), spread=spread)
    expected = f"{LAGGING}; {voltages}" if voltages else LAGGING
    assert holding(lagging, CONFIG, full={1, 2}, cut_off=set()) == expected
    assert holding(bank(DONE, spread=spread), CONFIG, full={1}, cut_off=set()) == voltages
