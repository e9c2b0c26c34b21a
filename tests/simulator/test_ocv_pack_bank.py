"""The LFP curve, one pack, and packs sharing a bus."""

from __future__ import annotations

from itertools import pairwise

import pytest

from simulator import Twin, TwinConfig, build_twin
from simulator.ocv import ocv, slope, soc_for_ocv


def test_curve_is_monotonic_and_flat_in_the_middle() -> None:
    socs = [i / 1000 for i in range(1021)]
    volts = [ocv(s) for s in socs]
    assert all(b > a for a, b in pairwise(volts))
    for soc in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        assert 3.27 <= ocv(soc) <= 3.36
    assert ocv(0.9) - ocv(0.3) < 0.08  # flat middle
    assert ocv(0.97) == pytest.approx(3.37, abs=0.005)
    # A full cell rests near 3.40 V (a full pack near 54.4 V), not at a charge voltage.
    assert 3.38 <= ocv(1.0) <= 3.41
    assert slope(0.995) > 5 * slope(0.5)  # steeper at the top


def test_inverse_round_trips() -> None:
    for soc in (0.05, 0.25, 0.55, 0.97, 0.995, 1.005):
        assert soc_for_ocv(ocv(soc)) == pytest.approx(soc, abs=1e-9)


def test_pack_voltage_is_sum_of_cells_and_moves_with_current() -> None:
    twin = build_twin("healthy")
    pack = twin.pack(1)
    assert pack.voltage == pytest.approx(sum(pack.cell_voltages))
    assert len(pack.cell_voltages) == 16
    resting = pack.emf()
    assert pack.current_a < -1.0  # evening load on the battery
    assert pack.voltage < resting - 0.02  # sags under discharge


def test_parallel_packs_share_current_and_hold_equal_voltage() -> None:
    twin = build_twin("healthy")
    volts = twin.pack_voltages()
    assert max(volts) - min(volts) < 0.01
    currents = [p.current_a for p in twin.packs]
    assert sum(currents) == pytest.approx(twin.bank_current_a)
    assert max(currents) - min(currents) < 1.0


def test_temperature_rises_with_current_and_relaxes_to_ambient() -> None:
    twin = Twin(TwinConfig(house_load_w=5500.0, max_substep_s=60.0))  # ~110 A from the bank
    start = twin.pack(1).thermal.temperature_c
    twin.run(3600, dt_s=60)
    hot = twin.pack(1).thermal.temperature_c
    assert hot > start + 1.0
    twin.house_load_w = 0.0
    twin.run(6 * 3600, dt_s=120)
    assert abs(twin.pack(1).thermal.temperature_c - 25.0) < abs(hot - 25.0) / 2


def test_cell_spread_is_small_and_seeded() -> None:
    a, b = build_twin("healthy", seed=1), build_twin("healthy", seed=1)
    assert a.pack(3).cell_voltages == b.pack(3).cell_voltages
    for pack in a.packs:
        assert 0 < pack.cell_delta_mv < 15
