"""Cloud transport: polls the EG4 portal and writes parameters, confirmed by read-back.

Request budget: a steady-state refresh reads the runtime of each inverter and the battery of
each inverter that reports packs (the portal lists the whole bank under one unit: 3 requests
for two inverters and one bank; inverters fetched concurrently, at most 3 requests in flight),
and each inverter's energy counters every ``ENERGY_REFRESH_S`` (they move by 0.1 kWh steps).
Parameters are read at setup, after a write (only the written register of that inverter, again
on the next poll if the read-backs right after the write did not show the new value) and at
most hourly.

Rooms: this module drives polls and writes; ``cloud_setup`` finds the station's inverters
(GridBOSS boxes skipped) and maps the client's errors (a station gone from the account is
:class:`CloudStationMissingError`, the portal asking to wait :class:`TransportRateLimitedError`);
``cloud_readings`` turns the typed answers into gated readings.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from ..cloud import (
    BatteryInfo,
    CloudWrite,
    Eg4AuthError,
    Eg4CloudClient,
    Eg4CloudError,
    Eg4DeviceRejectedError,
    Eg4RateLimitedError,
    encode_write,
    supported_keys,
)
from ..cloud.quick import QUICK_KEYS, QuickWrite, quick_write
from ..cloud.wire import BAD_RESPONSE
from ..model import ChargerPriority, SettingKey, SettingValue, SourceId, SourceKind
from ..settings import (
    AC_CHARGE_SOC_LIMIT,
    AC_CHARGE_TIMES,
    CHARGE_SOC_LIMIT,
    HYBRID_CHARGE_CURRENT,
    HYBRID_DISCHARGE_CURRENT,
    QUICK_TASKS,
    OptionSetting,
    SettingDef,
)
from ..transport.base import Capabilities, CommandResult, Decoded, Rejected
from .base import (
    MessageHandler,
    Offline,
    TransportAuthError,
    TransportError,
    TransportRateLimitedError,
)
from .cloud_params import read_setting, read_settings
from .cloud_readings import (
    INVERTER_METRICS,
    PACK_METRICS,
    energy_readings,
    pack_readings,
    runtime_readings,
)
from .cloud_setup import (
    CloudStationMissingError,
    CloudUnit,
    discover,
    grow_packs,
    transport_error,
)

__all__ = [
    "CloudStationMissingError",
    "CloudTransport",
    "CloudUnit",
    "TransportRateLimitedError",
]

_LOGGER = logging.getLogger(__name__)

PARAMETER_REFRESH_S = 3600.0
ENERGY_REFRESH_S = 300.0
UNCONFIRMED_POLLS = 3  # polls that read an unconfirmed write's register again
# Seconds to wait before each read-back of a write (0 = at once). Read when the transport is
# built, so tests can patch it.
READBACK_DELAYS: tuple[float, ...] = (0.0, 3.0, 10.0)
SETTINGS: dict[SettingKey, SettingDef] = {
    SettingKey.MAX_CHARGE_CURRENT: HYBRID_CHARGE_CURRENT,
    SettingKey.DISCHARGE_CURRENT: HYBRID_DISCHARGE_CURRENT,
    SettingKey.AC_CHARGE_SOC_LIMIT: AC_CHARGE_SOC_LIMIT,
    SettingKey.CHARGE_SOC_LIMIT: CHARGE_SOC_LIMIT,
    **AC_CHARGE_TIMES,  # the hybrids' AC-charge windows, written through writeTime
}


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
        self._gridboss_skipped = 0
        # Read on every poll, not hourly: a change made outside eg4 shows within a poll.
        self._watched: frozenset[SettingKey] = frozenset()
        # A quick charge's own end in minutes, sent with its start (``hold_backstop``).
        self._task_minutes: int | None = None
        self._handler: MessageHandler | None = None
        # Results of polls made before async_start (the coordinator's first refresh runs
        # before it starts the transport): delivered when the handler arrives.
        self._early: list[Decoded | Rejected | CommandResult | Offline] | None = []

    @classmethod
    async def async_discover(
        cls,
        client: Eg4CloudClient,
        plant_id: int,
        *,
        scan_interval: timedelta,
        readback_delays: Sequence[float] | None = None,
    ) -> CloudTransport:
        """Log in, find the plant's inverters and count their packs.

        Raises :class:`CloudStationMissingError` when the account no longer has the plant.
        """
        station = await discover(client, plant_id)
        transport = cls(
            client, station.units, scan_interval=scan_interval, readback_delays=readback_delays
        )
        transport._gridboss_skipped = station.gridboss_skipped
        return transport

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
            key: SETTINGS[key] for key in sorted(common or ()) if key in SETTINGS
        }
        if SettingKey.CHARGER_PRIORITY in (common or ()):
            writable[SettingKey.CHARGER_PRIORITY] = OptionSetting(
                key=SettingKey.CHARGER_PRIORITY,
                options=(ChargerPriority.SOLAR_FIRST, ChargerPriority.SOLAR_AND_UTILITY),
            )
        if common is not None:  # every unit runs the portal's quick tasks
            writable.update(QUICK_TASKS)
        return Capabilities(
            inverter_metrics=INVERTER_METRICS,
            pack_metrics=PACK_METRICS,
            readable_settings=frozenset(writable),
            writable=writable,
            broadcast_writes=False,
            command_replies=True,
        )

    def watch_settings(self, keys: frozenset[SettingKey]) -> None:
        """Read these settings on every poll (the rest hourly): a run's levers."""
        self._watched = keys & self.capabilities.readable_settings

    def hold_backstop(self, minutes: int | None) -> None:
        """A quick charge or discharge started from now on ends by itself after ``minutes``."""
        self._task_minutes = minutes

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
        authentication error or when the portal asks to wait (then nothing is sent before
        its Retry-After: the client holds every request back).
        """
        now = time.monotonic()
        results = await asyncio.gather(
            *(self._poll_unit(unit, now) for unit in self._units), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        for unit, result in zip(self._units, results, strict=True):
            if isinstance(result, Eg4CloudError):
                _LOGGER.debug("Inverter %d could not be read: %s", unit.number, result.code)
                if result.code == BAD_RESPONSE:  # an answer that could not be read
                    self._emit(Rejected("inverter:bad_response"))
        # A refused login and the portal asking to wait concern every inverter: the poll
        # fails at once. So does an error the client never raises (a bug, not swallowed).
        fatal = next(
            (e for e in errors if isinstance(e, _ACCOUNT_WIDE) or not isinstance(e, Eg4CloudError)),
            None,
        )
        if fatal is None and errors and len(errors) == len(results):
            fatal = errors[0]
        if isinstance(fatal, Eg4CloudError):
            raise transport_error(fatal) from fatal
        if fatal is not None:
            raise fatal

    def encodings(self, key: SettingKey, value: SettingValue, unit: int | None) -> int:
        """The portal has one encoding per setting."""
        return 1

    async def async_send(
        self, key: SettingKey, value: SettingValue, unit: int | None, attempt: int = 0
    ) -> None:
        """Write one unit's parameter, then read it back until it matches (bounded)."""
        target = self._unit(unit)
        try:
            write: CloudWrite | QuickWrite = (
                quick_write(key, value, self._task_minutes)
                if key in QUICK_KEYS
                else encode_write(key, value, target.family)
            )
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
        except Eg4RateLimitedError as err:
            raise TransportRateLimitedError(err.retry_after) from err
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
            "gridboss_skipped": self._gridboss_skipped,
        }

    def config_for_sources(self, inverter_count: int, pack_count: int) -> dict[str, Any]:
        """Nothing to store: the station's inverters and packs are found at each set-up."""
        return {}

    # ---- internals ---------------------------------------------------------------------

    def _unit(self, number: int | None) -> CloudUnit:
        if number is None or not 1 <= number <= len(self._units):
            msg = "the cloud needs one write per inverter"
            raise TransportError(msg)
        return self._units[number - 1]

    def _emit(self, result: Decoded | Rejected | CommandResult | Offline) -> None:
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
        # The BMS's own current is the bank's: it is this inverter's only when it is alone.
        alone = battery is not None and len(self._units) == 1
        readings, rejected = runtime_readings(
            unit.number, runtime, battery.current if alone and battery else None
        )
        if battery is not None:
            grow_packs(self._units, unit, len(battery.packs))  # a pack that joined
            local = dict(enumerate(unit.packs, start=1))
            got, refused = pack_readings(local, battery)
            readings.extend(got)
            rejected.extend(refused)
        if readings:
            self._emit(Decoded(tuple(readings)))
        for reason in rejected:
            self._emit(Rejected(reason))
        # Energy and parameters are best effort: a failed read is tried again on the next poll
        # and never blanks the telemetry just delivered (an expired login still surfaces).
        try:
            if unit.energy_read_at is None or now - unit.energy_read_at >= ENERGY_REFRESH_S:
                energy, _ = energy_readings(unit.number, await self._client.energy(unit.serial))
                unit.energy_read_at = now
                self._emit(Decoded(tuple(energy)))
            values = await self._read_due_settings(unit, now)
            for key, (target, left) in sorted(unit.unconfirmed.items()):
                value = (
                    values[key] if key in values else (await self._read_setting(unit, key)).get(key)
                )
                if value == target or left <= 1:
                    unit.unconfirmed.pop(key, None)
                else:
                    unit.unconfirmed[key] = (target, left - 1)
        except _ACCOUNT_WIDE:
            raise
        except Eg4CloudError as err:
            _LOGGER.debug("Parameters of inverter %d not read: %s", unit.number, err.code)

    async def _read_due_settings(self, unit: CloudUnit, now: float) -> dict[SettingKey, object]:
        """Every parameter hourly; the watched ones (a run's levers) on every poll."""
        values: dict[SettingKey, object] = {}
        if unit.params_read_at is None or now - unit.params_read_at >= PARAMETER_REFRESH_S:
            values = await read_settings(self._client, self._emit, unit)
            unit.params_read_at = now
        for key in sorted(self._watched - values.keys() - unit.unconfirmed.keys()):
            if key not in values:  # one quick-task status read reports both tasks
                values.update(await self._read_setting(unit, key))
        return values

    async def _read_setting(self, unit: CloudUnit, key: SettingKey) -> dict[SettingKey, object]:
        return await read_setting(self._client, self._emit, unit, key)

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


_ACCOUNT_WIDE = (Eg4AuthError, Eg4RateLimitedError)
