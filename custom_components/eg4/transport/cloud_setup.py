"""Finding a cloud station's inverters, and the transport's errors for the client's.

A GridBOSS (MID box) is recognised and skipped: it has no battery and none of the settings
the integration writes, and its grid/load/smart-port readings have no place in the system
model yet. The count of skipped boxes is kept for diagnostics, so a user can see it was
found, not lost. A pack that appears in a unit's battery list later is numbered by
:func:`grow_packs` and joins the running system.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field

from ..cloud import (
    Eg4AuthError,
    Eg4CloudClient,
    Eg4CloudError,
    Eg4PermissionError,
    Eg4RateLimitedError,
    ModelFamily,
    model_family,
)
from ..model import SettingKey, SettingValue
from .base import (
    TransportAuthError,
    TransportError,
    TransportRateLimitedError,
    TransportUnavailableError,
)

_LOGGER = logging.getLogger(__name__)


class CloudStationMissingError(TransportError):
    """The configured station (plant) is not in the account any more.

    Not a credentials problem (the login succeeded): signing in again cannot fix it, the
    entry must be pointed at a station the account has.
    """


@dataclass(slots=True)
class CloudUnit:
    """One inverter of the group, its family and the global numbers of its packs."""

    number: int
    serial: str
    family: ModelFamily
    packs: list[int] = field(default_factory=list)
    params_read_at: float | None = None
    energy_read_at: float | None = None
    # Settings written but not yet read back at their new value: target and polls left to
    # read them again on (a write may apply after its read-backs).
    unconfirmed: dict[SettingKey, tuple[SettingValue, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Station:
    """What discovery found: the inverters to watch and the GridBOSS boxes skipped."""

    units: list[CloudUnit]
    gridboss_skipped: int = 0


async def discover(client: Eg4CloudClient, plant_id: int) -> Station:
    """Log in, find the plant's inverters (GridBOSS skipped) and count their packs."""
    account = await guard(client.login())
    plant = next((p for p in account.plants if p.plant_id == plant_id), None)
    if plant is None:
        raise CloudStationMissingError("the configured station is not in this account")
    refs = []
    skipped = 0
    for ref in plant.inverters:
        if ref.is_gridboss or model_family(ref.model) is ModelFamily.GRIDBOSS:
            skipped += 1
        else:
            refs.append(ref)
    if skipped:
        _LOGGER.debug("Station has %d GridBOSS, not monitored", skipped)
    if not refs:
        raise TransportUnavailableError("the station has no inverters")
    batteries = await guard(asyncio.gather(*(client.battery(ref.serial) for ref in refs)))
    units: list[CloudUnit] = []
    next_pack = 1
    for number, (ref, battery) in enumerate(zip(refs, batteries, strict=True), start=1):
        count = len(battery.packs)
        units.append(
            CloudUnit(
                number=number,
                serial=ref.serial,
                family=model_family(ref.model),
                packs=list(range(next_pack, next_pack + count)),
            )
        )
        next_pack += count
    return Station(units, skipped)


def grow_packs(units: list[CloudUnit], unit: CloudUnit, count: int) -> list[int]:
    """Number the packs a unit's battery list has beyond those known; return the new numbers.

    Set-up numbers the packs unit by unit, so a pack that joins gets its number now only when
    it gets the same one on the next set-up: on the last unit that reports packs. On an
    earlier unit it would take a later unit's numbers at the next set-up; it waits for that.
    """
    known = len(unit.packs)
    if count <= known or not unit.packs:
        return []
    if any(other.packs for other in units if other.number > unit.number):
        _LOGGER.debug(
            "Inverter %d reports %d new packs: shown from the next set-up",
            unit.number,
            count - known,
        )
        return []
    first = unit.packs[0]
    added = [first + local for local in range(known, count)]
    unit.packs.extend(added)
    return added


def transport_error(err: Eg4CloudError) -> TransportError:
    """The transport's error for one of the client's."""
    if isinstance(err, Eg4AuthError):
        return TransportAuthError(type(err).__name__)
    if isinstance(err, Eg4RateLimitedError):
        return TransportRateLimitedError(err.retry_after)
    if isinstance(err, Eg4PermissionError):
        return TransportUnavailableError("the account may not read this station")
    return TransportUnavailableError(type(err).__name__)


async def guard[T](awaitable: Awaitable[T]) -> T:
    """Map the client's errors to the transport's."""
    try:
        return await awaitable
    except Eg4CloudError as err:
        raise transport_error(err) from err
