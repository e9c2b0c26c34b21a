"""Cloud transport: polls the EG4 portal and writes parameters, confirmed by read-back.

Request budget: a steady-state refresh reads the runtime of each inverter and the battery of
each inverter that reports packs (the portal lists the whole bank under one unit: 3 requests
for two inverters and one bank; inverters fetched concurrently, at most 3 requests in flight).
Parameters are read at setup, after a write (only the written register of that inverter, again
on the next poll if the read-backs right after the write did not show the new value) and at
most hourly.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from ..cloud import (
    BatteryInfo,
    Eg4AuthError,
    Eg4CloudClient,
    Eg4CloudError,
    Eg4DeviceRejectedError,
    Eg4PermissionError,
    ModelFamily,
    Runtime,
    encode_write,
    model_family,
    readback_from_params,
    readback_window,
    supported_keys,
)
from ..cloud.params import READ_WINDOWS
from ..model import ChargerPriority, SettingKey, SettingValue, SourceId, SourceKind
from ..profiles.base import (
    COUNT,
    CURRENT,
    PERCENT,
    POWER,
    TEMPERATURE,
    VOLTAGE_AC,
    VOLTAGE_BANK,
    VOLTAGE_CELL,
    Bounds,
    Capabilities,
    CommandResult,
    Decoded,
    Reading,
    plausible,
)
from ..settings import (
    AC_CHARGE_SOC_LIMIT,
    CHARGE_SOC_LIMIT,
    HYBRID_CHARGE_CURRENT,
    HYBRID_DISCHARGE_CURRENT,
    OptionSetting,
    SettingDef,
)
from .base import (
    MessageHandler,
    Offline,
    TransportAuthError,
    TransportError,
    TransportUnavailableError,
)

_LOGGER = logging.getLogger(__name__)

PARAMETER_REFRESH_S = 3600.0
UNCONFIRMED_POLLS = 3  # polls that read an unconfirmed write's register again
# Seconds to wait before each read-back of a write (0 = at once). Read when the transport is
# built, so tests can patch it.
READBACK_DELAYS: tuple[float, ...] = (0.0, 3.0, 10.0)
NUMBER_SETTINGS: dict[SettingKey, SettingDef] = {
    SettingKey.MAX_CHARGE_CURRENT: HYBRID_CHARGE_CURRENT,
    SettingKey.DISCHARGE_CURRENT: HYBRID_DISCHARGE_CURRENT,
    SettingKey.AC_CHARGE_SOC_LIMIT: AC_CHARGE_SOC_LIMIT,
    SettingKey.CHARGE_SOC_LIMIT: CHARGE_SOC_LIMIT,
}
INVERTER_METRICS = frozenset(
    {
        "battery_voltage",
        "battery_current",
        "battery_soc",
        "pv_power",
        "output_power",
        "grid_voltage",
        "temperature",
    }
)
PACK_METRICS = frozenset(
    {
        "soc",
        "voltage",
        "current",
        "cell_voltage_max",
        "cell_voltage_min",
        "cell_voltage_delta",
        "temperature_cell_max",
        "temperature_cell_min",
        "temperature_max",
        "cycles",
    }
)


@dataclass(slots=True)
class CloudUnit:
    """One inverter of the group, its family and the global numbers of its packs."""

    number: int
    serial: str
    family: ModelFamily
    packs: list[int] = field(default_factory=list)
    params_read_at: float | None = None
    # Settings written but not yet read back at their new value: target and polls left to
    # read them again on (a write may apply after its read-backs).
    unconfirmed: dict[SettingKey, tuple[SettingValue, int]] = field(default_factory=dict)


class CloudTransport:
    """Poll runtime + battery; write parameters and confirm them by reading them back."""

    def __init__(
        self,
        client: Eg4CloudClient,
        units: Sequence[CloudUnit],
        *,
        scan_interval: timedelta,
        readback_delays: Sequence[float] | None = None,
    ) -> None:
        """Bind to a logged-in client and the discovered units."""
        self._client = client
        self._units = list(units)
        self._scan_interval = scan_interval
        self._readback_delays = tuple(
            READBACK_DELAYS if readback_delays is None else readback_delays
        )
        self._handler: MessageHandler | None = None
        # Results of polls made before async_start (the coordinator's first refresh runs
        # before it starts the transport): delivered when the handler arrives.
        self._early: list[Decoded | CommandResult | Offline] | None = []
        self._pack_of: dict[tuple[int, int], int] = {
            (unit.number, local + 1): number
            for unit in self._units
            for local, number in enumerate(unit.packs)
        }

    @classmethod
    async def async_discover(
        cls,
        client: Eg4CloudClient,
        plant_id: int,
        *,
        scan_interval: timedelta,
        readback_delays: Sequence[float] | None = None,
    ) -> CloudTransport:
        """Log in, find the plant's inverters and count their packs."""
        account = await _guard(client.login())
        plant = next((p for p in account.plants if p.plant_id == plant_id), None)
        if plant is None:
            raise TransportAuthError("the configured station is not in this account")
        refs = [ref for ref in plant.inverters if not ref.is_gridboss]
        if not refs:
            raise TransportUnavailableError("the station has no inverters")
        batteries = await _guard(asyncio.gather(*(client.battery(ref.serial) for ref in refs)))
        units: list[CloudUnit] = []
        next_pack = 1
        for number, (ref, battery) in enumerate(zip(refs, batteries, strict=True), start=1):
            count = len(battery.packs)
            units.append(
                CloudUnit(
                    number=number,
                    serial=ref.serial,
                    family=model_family(ref.model, None),
                    packs=list(range(next_pack, next_pack + count)),
                )
            )
            next_pack += count
        return cls(client, units, scan_interval=scan_interval, readback_delays=readback_delays)

    # ---- Transport interface ----------------------------------------------------------

    @property
    def client(self) -> Eg4CloudClient:
        """The portal client (request counters live there)."""
        return self._client

    @property
    def units(self) -> list[CloudUnit]:
        """The inverters of the group."""
        return self._units

    @property
    def inverter_count(self) -> int:
        """Inverters found at setup."""
        return len(self._units)

    @property
    def pack_count(self) -> int:
        """Packs found at setup, numbered across inverters."""
        return sum(len(unit.packs) for unit in self._units)

    @property
    def poll_interval(self) -> timedelta | None:
        """The configured scan interval."""
        return self._scan_interval

    @property
    def capabilities(self) -> Capabilities:
        """Settings every unit's family supports over the cloud."""
        common: set[SettingKey] | None = None
        for unit in self._units:
            keys = set(supported_keys(unit.family))
            common = keys if common is None else common & keys
        writable: dict[SettingKey, SettingDef] = {
            key: NUMBER_SETTINGS[key] for key in sorted(common or ()) if key in NUMBER_SETTINGS
        }
        if SettingKey.CHARGER_PRIORITY in (common or ()):
            writable[SettingKey.CHARGER_PRIORITY] = OptionSetting(
                key=SettingKey.CHARGER_PRIORITY,
                options=(ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_AND_UTILITY),
            )
        return Capabilities(
            inverter_metrics=INVERTER_METRICS,
            pack_metrics=PACK_METRICS,
            readable_settings=frozenset(writable),
            writable=writable,
            broadcast_writes=False,
            command_replies=True,
        )

    async def async_start(self, handler: MessageHandler) -> None:
        """Remember where results go and deliver what earlier polls found."""
        self._handler = handler
        early, self._early = self._early or [], None
        for result in early:
            handler(result)

    async def async_stop(self) -> None:
        """Nothing to release: the session belongs to Home Assistant."""
        self._handler = None

    async def async_poll(self) -> None:
        """Runtime and battery of every inverter; parameters when due (hourly).

        One inverter that cannot be read does not fail the others: its entities go stale
        if it keeps failing. The poll fails when every inverter failed, and at once on an
        authentication error.
        """
        now = time.monotonic()
        results = await asyncio.gather(
            *(self._poll_unit(unit, now) for unit in self._units), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        fatal = next(
            (e for e in errors if isinstance(e, Eg4AuthError) or not isinstance(e, Eg4CloudError)),
            None,
        )
        if fatal is None and errors and len(errors) == len(results):
            fatal = errors[0]
        if isinstance(fatal, Eg4CloudError):
            raise _transport_error(fatal) from fatal
        if fatal is not None:
            raise fatal
        for unit, result in zip(self._units, results, strict=True):
            if isinstance(result, Eg4CloudError):
                _LOGGER.debug("Inverter %d could not be read: %s", unit.number, result.code)

    def encodings(self, key: SettingKey, value: SettingValue, unit: int | None) -> int:
        """The portal has one encoding per setting."""
        del key, value, unit
        return 1

    async def async_send(
        self, key: SettingKey, value: SettingValue, unit: int | None, attempt: int = 0
    ) -> None:
        """Write one unit's parameter, then read it back until it matches (bounded)."""
        del attempt
        target = self._unit(unit)
        try:
            write = encode_write(key, value, target.family)  # type: ignore[arg-type]
        except (TypeError, ValueError) as err:
            raise TransportError(str(err)) from err
        try:
            await self._client.apply(target.serial, write)
        except Eg4DeviceRejectedError as err:
            # The refusal arrives while the write is still being sent, before the coordinator
            # waits for its outcome: deliver it once the current step has finished, so the
            # waiter that is registered right after this returns sees it.
            refusal = CommandResult(ok=False, message=err.message, unit=target.number)
            asyncio.get_running_loop().call_soon(self._emit, refusal)
            return
        except Eg4AuthError as err:
            raise TransportAuthError(str(err)) from err
        except Eg4CloudError as err:
            raise TransportError(str(err)) from err
        self._emit(CommandResult(ok=True, message="accepted", unit=target.number))
        await self._confirm(target, key, value)

    def describe(self) -> dict[str, str | int]:
        """Non-secret parameters, for diagnostics (serials are redacted there)."""
        return {
            "transport": "cloud",
            "server": self._client.base_url,
            "inverter_count": self.inverter_count,
            "pack_count": self.pack_count,
            "requests_sent": self._client.request_count,
            "logins": self._client.login_count,
        }

    # ---- internals ---------------------------------------------------------------------

    def _unit(self, number: int | None) -> CloudUnit:
        if number is None or not 1 <= number <= len(self._units):
            msg = "the cloud needs one write per inverter"
            raise TransportError(msg)
        return self._units[number - 1]

    def _emit(self, result: Decoded | CommandResult | Offline) -> None:
        if self._handler is not None:
            self._handler(result)
        elif self._early is not None:
            self._early.append(result)

    async def _poll_unit(self, unit: CloudUnit, now: float) -> None:
        battery: BatteryInfo | None = None
        if unit.packs:
            runtime, battery = await asyncio.gather(
                self._client.runtime(unit.serial), self._client.battery(unit.serial)
            )
        else:  # the bank is reported by another unit: its battery call would be wasted
            runtime = await self._client.runtime(unit.serial)
        if not runtime.online:
            sources = {SourceId(SourceKind.INVERTER, unit.number)}
            sources.update(SourceId(SourceKind.PACK, n) for n in unit.packs)
            self._emit(Offline(frozenset(sources)))
            return
        readings = _runtime_readings(unit, runtime)
        if battery is not None:
            readings.extend(self._battery_readings(unit, battery))
        if readings:
            self._emit(Decoded(tuple(readings)))
        # Parameters are best effort: a failed read is tried again on the next poll and never
        # blanks the telemetry just delivered (an expired login still surfaces).
        try:
            values: dict[SettingKey, object] = {}
            if unit.params_read_at is None or now - unit.params_read_at >= PARAMETER_REFRESH_S:
                values = await self._read_settings(unit)
                unit.params_read_at = now
            for key, (target, left) in sorted(unit.unconfirmed.items()):
                value = (
                    values[key] if key in values else (await self._read_setting(unit, key)).get(key)
                )
                if value == target or left <= 1:
                    unit.unconfirmed.pop(key, None)
                else:
                    unit.unconfirmed[key] = (target, left - 1)
        except Eg4AuthError:
            raise
        except Eg4CloudError as err:
            _LOGGER.debug("Parameters of inverter %d not read: %s", unit.number, err.code)

    async def _read_settings(self, unit: CloudUnit) -> dict[SettingKey, object]:
        params: dict[str, str] = {}
        for start, count in READ_WINDOWS:
            params.update(await self._client.read_parameters(unit.serial, start, count))
        return self._emit_settings(unit, params)

    async def _read_setting(self, unit: CloudUnit, key: SettingKey) -> dict[SettingKey, object]:
        start, count = readback_window(key, unit.family)
        return self._emit_settings(
            unit, await self._client.read_parameters(unit.serial, start, count)
        )

    def _emit_settings(self, unit: CloudUnit, params: dict[str, str]) -> dict[SettingKey, object]:
        values = readback_from_params(params, unit.family)
        source = SourceId(SourceKind.INVERTER, unit.number)
        readings = [
            Reading(source, key, value if isinstance(value, ChargerPriority) else float(value), key)
            for key, value in values.items()
        ]
        if readings:
            self._emit(Decoded(tuple(readings)))
        return dict(values)

    async def _confirm(self, unit: CloudUnit, key: SettingKey, value: SettingValue) -> None:
        """Read the written register back a few times until the device reports the value.

        If it never does, the next few polls read it again (a write may apply late).
        """
        unit.unconfirmed[key] = (value, UNCONFIRMED_POLLS)
        for delay in self._readback_delays:
            if delay:
                await asyncio.sleep(delay)
            try:
                values = await self._read_setting(unit, key)
            except Eg4CloudError as err:
                _LOGGER.debug("Read-back of %s failed: %s", key, type(err).__name__)
                continue
            if values.get(key) == value:
                unit.unconfirmed.pop(key, None)
                return

    def _battery_readings(self, unit: CloudUnit, battery: BatteryInfo) -> list[Reading]:
        readings: list[Reading] = []
        for pack in battery.packs:
            number = self._pack_of.get((unit.number, pack.number))
            if number is None or not pack.online:
                continue
            source = SourceId(SourceKind.PACK, number)
            fields: dict[str, float | None] = {
                "soc": pack.soc,
                "voltage": pack.voltage,
                "current": pack.current,
                "cell_voltage_max": pack.cell_voltage_max,
                "cell_voltage_min": pack.cell_voltage_min,
                "temperature_cell_max": pack.temperature_max,
                "temperature_cell_min": pack.temperature_min,
                "cycles": None if pack.cycle_count is None else float(pack.cycle_count),
            }
            readings.extend(
                Reading(source, key, float(value))
                for key, value in fields.items()
                if value is not None and _plausible(key, value)
            )
        return readings


# The plausible range of each reading: the same bounds the MQTT profiles apply.
_BOUNDS: dict[str, Bounds] = {
    "soc": PERCENT,
    "battery_soc": PERCENT,
    "voltage": VOLTAGE_BANK,
    "battery_voltage": VOLTAGE_BANK,
    "current": CURRENT,
    "battery_current": CURRENT,
    "cell_voltage_max": VOLTAGE_CELL,
    "cell_voltage_min": VOLTAGE_CELL,
    "temperature_cell_max": TEMPERATURE,
    "temperature_cell_min": TEMPERATURE,
    "temperature": TEMPERATURE,
    "grid_voltage": VOLTAGE_AC,
    "pv_power": POWER,
    "output_power": POWER,
    "cycles": COUNT,
}


def _plausible(key: str, value: float) -> bool:
    return plausible(value, _BOUNDS[key])


def _runtime_readings(unit: CloudUnit, runtime: Runtime) -> list[Reading]:
    source = SourceId(SourceKind.INVERTER, unit.number)
    fields: dict[str, float | None] = {
        "battery_voltage": runtime.battery_voltage,
        "battery_current": runtime.battery_current,
        "battery_soc": runtime.soc,
        "pv_power": runtime.pv_power,
        "output_power": runtime.output_power,
        "grid_voltage": runtime.grid_voltage,
        "temperature": runtime.inverter_temperature,
    }
    return [
        Reading(source, key, float(value))
        for key, value in fields.items()
        if value is not None and _plausible(key, float(value))
    ]


def _transport_error(err: Eg4CloudError) -> TransportError:
    """The transport's error for one of the client's."""
    if isinstance(err, Eg4AuthError):
        return TransportAuthError(type(err).__name__)
    if isinstance(err, Eg4PermissionError):
        return TransportUnavailableError("the account may not read this station")
    return TransportUnavailableError(type(err).__name__)


async def _guard[T](awaitable: Awaitable[T]) -> T:
    """Map the client's errors to the transport's."""
    try:
        return await awaitable
    except Eg4CloudError as err:
        raise _transport_error(err) from err
