"""What the safety logic reads from a pack, and how old each of those readings is.

Freshness is judged per reading, not only per device: a pack whose cell-voltage topic stops
(or sends only values its profile refuses) while its SoC keeps arriving has a fresh device
and a stale cell voltage. The model stamps each accepted reading (``DeviceState.seen_at``);
these helpers name every *safety* reading older than the bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from ..model import DeviceState, PackState, SystemState
from ..numbers import finite

TEMPERATURE_PREFIX = "temperature_"
# A pack's readings the pre-flight and the live monitor judge it on, besides every
# ``temperature_*`` reading. Inverters carry none: no breach reads an inverter's value.
SAFETY_READINGS = frozenset(
    {"cell_voltage_max", "cell_voltage_min", "cell_voltage_delta", "protection"}
)


def is_safety_reading(key: str) -> bool:
    """True for a pack reading a breach or the pre-flight is judged on."""
    return key in SAFETY_READINGS or key.startswith(TEMPERATURE_PREFIX)


def temperatures(pack: PackState) -> list[float]:
    """Every temperature the pack reports (°C), including the derived maximum."""
    readings = (finite(v) for k, v in pack.metrics.items() if k.startswith(TEMPERATURE_PREFIX))
    return [t for t in readings if t is not None]


def protection_label(pack: PackState) -> str | None:
    """A description of the pack's active protection, or None when there is none."""
    if pack.protection_flags:
        return "+".join(pack.protection_flags)
    if pack.metrics.get("protection") is True:
        return "protection"
    return None


def stale_readings(pack: PackState, now: float, bound: float) -> list[tuple[str, float]]:
    """The pack's safety readings accepted more than ``bound`` seconds ago, with their ages.

    Sorted by key. Cheap on the monitor's hot path: one subtraction and comparison per stamped
    key (the same arithmetic as a device's age), and the key is looked at only when it is old.
    """
    found = [
        (key, now - seen)
        for key, seen in pack.seen_at.items()
        if now - seen > bound and is_safety_reading(key)
    ]
    found.sort()
    return found


class Stale(NamedTuple):
    """One stale source or reading: ``pack_3`` or ``pack_3 cell_voltage_max``, and its age."""

    source: str  # the device, e.g. ``pack_3``
    label: str  # the device, or the device and the reading
    age: str  # e.g. ``312 s`` or ``never``


def devices(state: SystemState) -> list[DeviceState]:
    """Every inverter, then every pack, in index order."""
    return [
        *(state.inverters[n] for n in sorted(state.inverters)),
        *(state.packs[n] for n in sorted(state.packs)),
    ]


def stale_telemetry(state: SystemState, now: float, bound: float) -> Iterator[Stale]:
    """Every stale device, and every stale safety reading of the packs still talking.

    A device is stale when it never reported, is marked stale, or is silent for longer than
    ``bound``; a reading when it was last accepted more than ``bound`` seconds ago.
    """
    for device in devices(state):
        source = str(device.source)
        if device.last_seen is None:
            yield Stale(source, source, "never")
            continue
        age = now - device.last_seen
        if device.source in state.stale or age > bound:
            yield Stale(source, source, f"{age:.0f} s")
        elif isinstance(device, PackState):
            for key, reading_age in stale_readings(device, now, bound):
                yield Stale(source, f"{source} {key}", f"{reading_age:.0f} s")
