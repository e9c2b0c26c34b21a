"""The plain data model: sources, system state, group settings, freshness, value matching."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.model import (
    ChargerPriority,
    InverterState,
    OutputPriority,
    PackState,
    SettingKey,
    SettingValue,
    SourceId,
    SourceKind,
    SystemState,
    values_match,
)

from .helpers import inv, pack, state_with


def test_enum_values_are_the_wire_contract() -> None:
    assert [p.value for p in OutputPriority] == ["sub", "sbu", "usb"]
    assert [p.value for p in ChargerPriority] == [
        "solar_first",
        "solar_and_utility",
        "solar_only",
        "utility_first",
    ]
    assert [k.value for k in SettingKey] == [
        "output_priority",
        "charger_priority",
        "max_charge_current",
        "max_utility_charge_current",
        "stop_charge_voltage",
        "recharge_voltage",
        "bulk_voltage",
        "float_voltage",
        "discharge_current",
        "ac_charge_soc_limit",
        "charge_soc_limit",
        "ac_charge_start_1",
        "ac_charge_end_1",
        "ac_charge_start_2",
        "ac_charge_end_2",
        "ac_charge_start_3",
        "ac_charge_end_3",
        "quick_charge",
        "quick_discharge",
        "forced_discharge_start_1",
        "forced_discharge_end_1",
    ]
    assert [k.value for k in SourceKind] == ["inverter", "pack"]


@pytest.mark.parametrize(
    ("source", "label"),
    [
        (SourceId(SourceKind.INVERTER, 1), "inverter_1"),
        (SourceId(SourceKind.INVERTER, 9), "inverter_9"),
        (SourceId(SourceKind.PACK, 3), "pack_3"),
        (SourceId(SourceKind.PACK, 32), "pack_32"),
    ],
)
def test_source_id_label(source: SourceId, label: str) -> None:
    assert str(source) == label


def test_source_id_is_frozen_and_hashable() -> None:
    a = SourceId(SourceKind.PACK, 2)
    assert a == SourceId(SourceKind.PACK, 2)
    assert a != SourceId(SourceKind.INVERTER, 2)
    assert len({a, SourceId(SourceKind.PACK, 2), SourceId(SourceKind.PACK, 3)}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.index = 3  # type: ignore[misc]


@pytest.mark.parametrize(("inverters", "packs"), [(1, 1), (2, 6), (9, 32), (0, 0), (3, 0)])
def test_empty_state_has_every_source_unseen(inverters: int, packs: int) -> None:
    state = SystemState.empty(inverters, packs)
    assert list(state.inverters) == list(range(1, inverters + 1))
    assert list(state.packs) == list(range(1, packs + 1))
    for n, device in state.inverters.items():
        assert isinstance(device, InverterState)
        assert device.source == inv(n)
        assert device.last_seen is None
        assert device.metrics == {}
        assert device.settings == {}
    for n, device in state.packs.items():
        assert isinstance(device, PackState)
        assert device.source == pack(n)
        assert device.last_seen is None
        assert device.protection_flags == ()
        assert device.delta_reported is False
    assert state.stale == set()


def test_empty_states_do_not_share_mutable_defaults() -> None:
    a = SystemState.empty(1, 1)
    b = SystemState.empty(1, 1)
    a.inverters[1].metrics["x"] = 1.0
    a.inverters[1].settings[SettingKey.FLOAT_VOLTAGE] = 54.0
    a.stale.add(inv(1))
    assert b.inverters[1].metrics == {}
    assert b.inverters[1].settings == {}
    assert b.stale == set()


@pytest.mark.parametrize(
    ("source", "present"),
    [
        (inv(1), True),
        (inv(2), True),
        (inv(0), False),
        (inv(3), False),
        (pack(1), True),
        (pack(4), True),
        (pack(0), False),
        (pack(5), False),
        (pack(-1), False),
    ],
)
def test_device_lookup(source: SourceId, present: bool) -> None:
    state = SystemState.empty(2, 4)
    device = state.device(source)
    if present:
        assert device is not None
        assert device.source == source
    else:
        assert device is None


def test_device_kinds_do_not_mix() -> None:
    state = SystemState.empty(2, 2)
    assert isinstance(state.device(inv(1)), InverterState)
    assert isinstance(state.device(pack(1)), PackState)
    assert state.device(inv(1)) is state.inverters[1]
    assert state.device(pack(1)) is state.packs[1]


@pytest.mark.parametrize(
    ("last_seen", "stale", "fresh"),
    [
        (None, False, False),  # never reported
        (None, True, False),
        (0.0, False, True),  # monotonic 0 is a real time, not "unseen"
        (12.5, False, True),
        (12.5, True, False),  # reported, but silent since
    ],
)
def test_is_fresh(last_seen: float | None, stale: bool, fresh: bool) -> None:
    state = SystemState.empty(1, 1)
    for source in (inv(1), pack(1)):
        device = state.device(source)
        assert device is not None
        device.last_seen = last_seen
        if stale:
            state.stale.add(source)
        assert state.is_fresh(source) is fresh


def test_is_fresh_unknown_source_is_false() -> None:
    state = SystemState.empty(1, 1)
    assert state.is_fresh(inv(2)) is False
    assert state.is_fresh(pack(7)) is False


def test_is_fresh_stale_marks_are_per_source() -> None:
    state = SystemState.empty(2, 2)
    for device in [*state.inverters.values(), *state.packs.values()]:
        device.last_seen = 1.0
    state.stale.add(inv(2))
    assert state.is_fresh(inv(1))
    assert not state.is_fresh(inv(2))
    assert state.is_fresh(pack(2))  # same index, other kind


def test_setting_values_reports_none_for_unknown() -> None:
    state = state_with(3, 0, float_voltage=[54.0, None, 55.0])
    assert state.setting_values(SettingKey.FLOAT_VOLTAGE) == {1: 54.0, 2: None, 3: 55.0}
    assert state.setting_values(SettingKey.BULK_VOLTAGE) == {1: None, 2: None, 3: None}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([54.0, 54.0], 54.0),
        ([54.0], 54.0),
        ([54.0, 54.0, 54.0], 54.0),
        ([54.0, 54.0000001], 54.0),  # within 1e-6
        ([54.0, 54.1], None),
        ([54.0, None], None),
        ([None, 54.0], None),
        ([None, None], None),
        ([OutputPriority.SUB, OutputPriority.SUB], OutputPriority.SUB),
        ([OutputPriority.SUB, OutputPriority.SBU], None),
        ([ChargerPriority.SOLAR_ONLY, ChargerPriority.SOLAR_ONLY], ChargerPriority.SOLAR_ONLY),
        ([54.0, 54.0, 54.5], None),
    ],
)
def test_group_setting(values: list[SettingValue | None], expected: SettingValue | None) -> None:
    state = state_with(len(values), 0, float_voltage=values)
    assert state.group_setting(SettingKey.FLOAT_VOLTAGE) == expected


def test_group_setting_returns_the_enum_member() -> None:
    state = state_with(2, 0, output_priority=[OutputPriority.SBU, OutputPriority.SBU])
    assert state.group_setting(SettingKey.OUTPUT_PRIORITY) is OutputPriority.SBU


def test_group_setting_without_inverters_is_none() -> None:
    assert SystemState.empty(0, 3).group_setting(SettingKey.FLOAT_VOLTAGE) is None


def test_mismatched_settings_lists_disagreements_in_key_order() -> None:
    state = state_with(
        3,
        0,
        output_priority=[OutputPriority.SUB, OutputPriority.SBU, OutputPriority.SUB],
        charger_priority=[ChargerPriority.SOLAR_FIRST] * 3,
        max_charge_current=[30.0, None, 40.0],  # None is ignored, 30 vs 40 still differ
        stop_charge_voltage=[54.0, 54.0000001, None],  # equal within 1e-6
        float_voltage=[54.0, 55.0, 54.0],
        bulk_voltage=[None, 56.0, None],  # one known value cannot disagree
    )
    assert state.mismatched_settings() == [
        SettingKey.OUTPUT_PRIORITY,
        SettingKey.MAX_CHARGE_CURRENT,
        SettingKey.FLOAT_VOLTAGE,
    ]


def test_mismatched_settings_empty_when_all_agree_or_unknown() -> None:
    assert SystemState.empty(2, 0).mismatched_settings() == []
    state = state_with(2, 0, recharge_voltage=[52.0, 52.0])
    assert state.mismatched_settings() == []


@pytest.mark.parametrize(
    ("a", "b", "tolerance", "expected"),
    [
        (54.0, 54.0, 0.0, True),
        (54.0, 54.4, 0.5, True),
        (54.0, 54.5, 0.5, True),  # inclusive
        (54.0, 54.51, 0.5, False),
        (54.5, 54.0, 0.5, True),  # symmetric
        (30.0, 35.0, 5.0, True),
        (30.0, 36.0, 5.0, False),
        (OutputPriority.SUB, OutputPriority.SUB, 0.0, True),
        (OutputPriority.SUB, OutputPriority.SBU, 100.0, False),
        (ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_FIRST, 0.0, True),
        (ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_ONLY, 0.0, False),
        (OutputPriority.SUB, 54.0, 1000.0, False),
        (54.0, OutputPriority.SUB, 1000.0, False),
        (None, 54.0, 1000.0, False),
        (54.0, None, 1000.0, False),
        (None, None, 0.0, False),
        (None, OutputPriority.SUB, 0.0, False),
    ],
)
def test_values_match(
    a: SettingValue | None, b: SettingValue | None, tolerance: float, expected: bool
) -> None:
    assert values_match(a, b, tolerance) is expected


def test_sources_lists_inverters_then_packs() -> None:
    state = SystemState.empty(2, 3)
    assert [str(s) for s in state.sources()] == [
        "inverter_1",
        "inverter_2",
        "pack_1",
        "pack_2",
        "pack_3",
    ]


def test_admit_adds_the_source_and_fills_the_numbers_below() -> None:
    """Numbers stay without gaps, like a configured count: pack 9 in a bank of 6 adds 7-9."""
    state = SystemState.empty(2, 6)
    added = state.admit(SourceId(SourceKind.PACK, 9))
    assert [str(s) for s in added] == ["pack_7", "pack_8", "pack_9"]
    assert sorted(state.packs) == list(range(1, 10))
    assert all(state.packs[n].source == SourceId(SourceKind.PACK, n) for n in range(7, 10))
    assert not state.is_fresh(SourceId(SourceKind.PACK, 8))  # waits for its first reading
    assert state.admit(SourceId(SourceKind.PACK, 8)) == []  # already there
    assert state.admit(SourceId(SourceKind.PACK, 0)) == []
    assert [str(s) for s in state.admit(SourceId(SourceKind.INVERTER, 3))] == ["inverter_3"]
    assert isinstance(state.inverters[3], InverterState)
    assert len(state.packs) == 9


@given(
    inverters=st.integers(1, 9),
    packs=st.integers(1, 32),
    joining=st.lists(
        st.tuples(st.sampled_from(list(SourceKind)), st.integers(-2, 40)), max_size=12
    ),
)
def test_admitted_sources_are_numbered_without_gaps(
    inverters: int, packs: int, joining: list[tuple[SourceKind, int]]
) -> None:
    state = SystemState.empty(inverters, packs)
    seen: list[SourceId] = []
    for kind, index in joining:
        added = state.admit(SourceId(kind, index))
        assert not set(added) & set(seen)
        seen.extend(added)
    assert sorted(state.inverters) == list(range(1, len(state.inverters) + 1))
    assert sorted(state.packs) == list(range(1, len(state.packs) + 1))
    expected_packs = max([packs] + [i for k, i in joining if k is SourceKind.PACK])
    assert len(state.packs) == expected_packs
