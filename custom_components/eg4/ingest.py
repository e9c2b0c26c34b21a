"""Apply decoded readings to the SystemState (pure, no Home Assistant imports).

Besides the keys that moved, a ``Change`` names the ones that crossed a safety threshold
(``significance.THRESHOLDS``): the entities showing those write at once, whatever the update
interval coalesces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import (
    DeviceState,
    InverterState,
    MetricValue,
    PackState,
    SettingValue,
    SourceId,
    SourceKind,
    SystemState,
)
from .significance import THRESHOLDS, crossed
from .transport.base import Reading

TEMPERATURE_PREFIX = "temperature_"
DERIVED_TEMPERATURE = "temperature_max"
PROTECTION = "protection"
# The metric types a reading may carry; a tuple, not ``float | str | bool``, which would build
# a union object on every message of the hot path.
_STORABLE = (float, str, bool)


@dataclass(slots=True)
class Change:
    """What one message changed: the keys whose values moved and the sources it revived.

    ``crossed``: the keys (among ``keys``) whose value crossed a safety threshold.
    """

    keys: set[tuple[SourceId, str]] = field(default_factory=set)
    revived: set[SourceId] = field(default_factory=set)
    crossed: set[tuple[SourceId, str]] = field(default_factory=set)

    def __bool__(self) -> bool:
        """True when anything changed."""
        return bool(self.keys or self.revived)


# What ``apply_readings`` returns for a message that changed nothing (most of them): one shared
# instance, read only, so the hot path allocates nothing.
UNCHANGED = Change()
_ABSENT = object()


def apply_readings(state: SystemState, readings: Iterable[Reading], now: float) -> Change:
    """Store readings, refresh derived values and freshness; report what changed.

    The result is :data:`UNCHANGED` (not to be modified) when nothing changed.
    """
    change: Change | None = None
    for reading in readings:
        source = reading.source
        device: DeviceState | None = (
            state.inverters if source.kind is SourceKind.INVERTER else state.packs
        ).get(source.index)
        if device is None:
            continue
        if reading.alive:
            stale = state.stale
            # ``stale and``: nearly always empty, and hashing a SourceId is a Python call
            if device.last_seen is None or (stale and source in stale):
                change = change if change is not None else Change()
                change.revived.add(source)
                stale.discard(source)
            device.last_seen = now
        key = reading.key
        if reading.setting is not None and isinstance(device, InverterState):
            device.seen_at[key] = now
            if _store_setting(device, reading):
                change = change if change is not None else Change()
                change.keys.add((source, key))
            continue
        pack = device if isinstance(device, PackState) else None
        if pack is not None and key == PROTECTION:
            pack.seen_at[key] = now
            if _store_protection(pack, str(reading.value)):
                change = change if change is not None else Change()
                change.keys.add((source, PROTECTION))
            continue
        value: object = reading.value  # typed, but a profile's decoder is not trusted
        if not isinstance(value, _STORABLE):
            continue  # refused: the key keeps its last accepted value and its age
        device.seen_at[key] = now
        if pack is not None and key == "cell_voltage_delta":
            pack.delta_reported = True  # the BMS's own figure wins over max - min from now on
        metrics = device.metrics
        old = metrics.get(key, _ABSENT)
        if old is not _ABSENT and old == value:
            continue  # the common case: the same value again
        change = change if change is not None else Change()
        _note(change, source, key, old, value)
        metrics[key] = value
        if pack is not None:
            _derive_pack(change, pack, key)
    return UNCHANGED if change is None else change


def _note(change: Change, source: SourceId, key: str, old: object, value: object) -> None:
    """Note in ``change`` that ``key`` moved from ``old`` (and whether it crossed a threshold)."""
    change.keys.add((source, key))
    thresholds = THRESHOLDS.get(key)
    if thresholds is not None and crossed(thresholds, old, value):
        change.crossed.add((source, key))


def _put(
    change: Change, source: SourceId, metrics: dict[str, MetricValue], key: str, value: MetricValue
) -> None:
    """Store a derived metric; note it in ``change`` if it moved."""
    old = metrics.get(key, _ABSENT)
    if old is not _ABSENT and old == value:
        return
    _note(change, source, key, old, value)
    metrics[key] = value


def _store_setting(device: InverterState, reading: Reading) -> bool:
    assert reading.setting is not None  # noqa: S101 - guarded by the caller
    value: SettingValue = reading.value  # type: ignore[assignment]
    if device.settings.get(reading.setting) == value and reading.setting in device.settings:
        return False
    device.settings[reading.setting] = value
    return True


def _store_protection(device: PackState, text: str) -> bool:
    flags = tuple(flag for flag in text.split(",") if flag)
    active = bool(flags)
    if device.protection_flags == flags and device.metrics.get(PROTECTION) is active:
        return False
    device.protection_flags = flags
    device.metrics[PROTECTION] = active
    return True


def _derive_pack(change: Change, pack: PackState, key: str) -> None:
    """Recompute values derived from ``key``; note the derived keys that changed."""
    metrics = pack.metrics
    if key in ("cell_voltage_max", "cell_voltage_min") and not pack.delta_reported:
        high, low = metrics.get("cell_voltage_max"), metrics.get("cell_voltage_min")
        if isinstance(high, float) and isinstance(low, float) and high >= low:
            delta = round((high - low) * 1000, 1)
            _put(change, pack.source, metrics, "cell_voltage_delta", delta)
    if key.startswith(TEMPERATURE_PREFIX) and key != DERIVED_TEMPERATURE:
        temps = [
            value
            for name, value in metrics.items()
            if name.startswith(TEMPERATURE_PREFIX)
            and name != DERIVED_TEMPERATURE
            and isinstance(value, float)
        ]
        if temps:
            _put(change, pack.source, metrics, DERIVED_TEMPERATURE, max(temps))


def mark_stale(state: SystemState, now: float, timeout: float) -> set[SourceId]:
    """Mark sources silent for longer than ``timeout``; return the newly stale ones."""
    newly: set[SourceId] = set()
    for device in [*state.inverters.values(), *state.packs.values()]:
        if device.last_seen is None or device.source in state.stale:
            continue
        if now - device.last_seen > timeout:
            state.stale.add(device.source)
            newly.add(device.source)
    return newly
