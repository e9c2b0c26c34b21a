"""Apply decoded readings to the SystemState (pure, no Home Assistant imports).

Besides the keys that moved, a ``Change`` names the ones that crossed a safety threshold
(``significance.THRESHOLDS``): the entities showing those write at once, whatever the update
interval coalesces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import InverterState, MetricValue, PackState, SettingValue, SourceId, SystemState
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


def apply_readings(state: SystemState, readings: Iterable[Reading], now: float) -> Change:
    """Store readings, refresh derived values and freshness; report what changed."""
    change = Change()
    for reading in readings:
        device = state.device(reading.source)
        if device is None:
            continue
        if reading.alive:
            if device.last_seen is None or reading.source in state.stale:
                change.revived.add(reading.source)
                state.stale.discard(reading.source)
            device.last_seen = now
        key = reading.key
        if reading.setting is not None and isinstance(device, InverterState):
            device.seen_at[key] = now
            if _store_setting(device, reading):
                change.keys.add((reading.source, key))
            continue
        if isinstance(device, PackState) and key == PROTECTION:
            device.seen_at[key] = now
            if _store_protection(device, str(reading.value)):
                change.keys.add((reading.source, PROTECTION))
            continue
        value: object = reading.value  # typed, but a profile's decoder is not trusted
        if not isinstance(value, _STORABLE):
            continue  # refused: the key keeps its last accepted value and its age
        device.seen_at[key] = now
        if isinstance(device, PackState) and key == "cell_voltage_delta":
            device.delta_reported = True  # the BMS's own figure wins over max - min from now on
        if _put(change, reading.source, device.metrics, key, value) and isinstance(
            device, PackState
        ):
            _derive_pack(change, device, key)
    return change


def _store(metrics: dict[str, MetricValue], key: str, value: MetricValue) -> bool:
    if metrics.get(key) == value and key in metrics:
        return False
    metrics[key] = value
    return True


def _put(
    change: Change, source: SourceId, metrics: dict[str, MetricValue], key: str, value: MetricValue
) -> bool:
    """Store a metric; note it in ``change`` if it moved (and if it crossed a threshold)."""
    old = metrics.get(key)
    if not _store(metrics, key, value):
        return False
    change.keys.add((source, key))
    thresholds = THRESHOLDS.get(key)
    if thresholds is not None and crossed(thresholds, old, value):
        change.crossed.add((source, key))
    return True


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
