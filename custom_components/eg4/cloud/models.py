"""Typed, frozen views of the EG4 cloud portal's answers (engineering units, None = unknown).

Every live field is optional: the portal omits or blanks fields (offline dongles, partial
payloads, 12000XP without a battery array) and a missing value must never blank the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

GRIDBOSS_DEVICE_TYPE = 9
_GRIDBOSS_NAMES = ("GRIDBOSS", "MIDBOX")


def is_gridboss_model(model: str | None) -> bool:
    """True for a GridBOSS / MID box model text ("Grid Boss", "GridBOSS", "MIDBOX")."""
    name = (model or "").upper().replace(" ", "").replace("-", "").replace("_", "")
    return any(marker in name for marker in _GRIDBOSS_NAMES)


@dataclass(frozen=True, slots=True, kw_only=True)
class InverterRef:
    """One device of a plant as the login body lists it."""

    serial: str
    model: str | None = None  # deviceTypeText4APP, e.g. "18KPV", "FlexBOSS21", "12000XP"
    device_type: int | None = None  # 6 = inverter, 9 = GridBOSS
    lost: bool | None = None
    battery_type: str | None = None  # LITHIUM / LEAD_ACID / NO_BATTERY
    parallel_midbox_serial: str | None = None

    @property
    def is_gridboss(self) -> bool:
        """True for a GridBOSS / MID box (device type 9, or its model text)."""
        return self.device_type == GRIDBOSS_DEVICE_TYPE or is_gridboss_model(self.model)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelGroupRef:
    """A parallel group as the login body names it."""

    name: str  # "A"
    first_serial: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plant:
    """A plant (station) with its devices and parallel groups, from the login body."""

    plant_id: int
    name: str | None = None
    inverters: tuple[InverterRef, ...] = ()
    parallel_groups: tuple[ParallelGroupRef, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """The logged-in account."""

    user_id: int | None = None
    username: str | None = None
    role: str | None = None
    plants: tuple[Plant, ...] = ()

    @property
    def is_installer(self) -> bool:
        """Installer-type roles list plants through the installer endpoint."""
        return (self.role or "").upper() in {"INSTALLER", "I_ASSISTANT"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlantInfo:
    """One row of the plant list."""

    plant_id: int
    name: str | None = None
    country: str | None = None
    timezone: str | None = None
    daylight_saving: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceOverview:
    """One row of ``inverterOverview/list``."""

    serial: str
    model: str | None = None  # deviceTypeText
    device_type: int | None = None
    plant_id: int | None = None
    status_text: str | None = None  # normal / fault / offline
    lost: bool = False
    parallel_group: str | None = None  # "A", None when standalone
    parallel_index: int | None = None
    soc: float | None = None
    battery_voltage: float | None = None
    pv_power: float | None = None

    @property
    def is_gridboss(self) -> bool:
        """True for a GridBOSS / MID box (device type 9)."""
        return self.device_type == GRIDBOSS_DEVICE_TYPE


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelMember:
    """One member of a parallel group."""

    serial: str
    device_type: int | None = None
    role: str | None = None  # Primary / Subordinates / Midbox Slave
    index: int | None = None
    lost: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelGroup:
    """A parallel group: its members and the GridBOSS serial if any."""

    members: tuple[ParallelMember, ...] = ()
    midbox_serial: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    """Live readings of one inverter (``getInverterRuntime``)."""

    serial: str
    online: bool
    status_text: str | None = None
    status: int | None = None
    battery_voltage: float | None = None  # V
    battery_current: float | None = None  # A, + charging (derived: batPower / vBat)
    battery_power: float | None = None  # W, + charging
    soc: float | None = None  # %
    pv_power: float | None = None  # W
    grid_power: float | None = None  # W, + import from the grid
    output_power: float | None = None  # W, inverter output (pinv)
    eps_power: float | None = None  # W
    load_power: float | None = None  # W, from the field the model fills (see parse)
    grid_voltage: float | None = None  # V (phase R)
    grid_frequency: float | None = None  # Hz
    inverter_temperature: float | None = None  # degC
    bms_max_charge_current: float | None = None  # A
    bms_max_discharge_current: float | None = None  # A
    firmware: str | None = None
    device_time: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryPack:
    """One pack of ``batteryArray``."""

    index: int  # 0-based batIndex
    key: str | None = None  # "<inverter>_Battery_ID_01"
    serial: str | None = None  # often a positional label, not a hardware serial
    online: bool = True
    voltage: float | None = None  # V
    current: float | None = None  # A, + charging
    soc: float | None = None  # %
    soh: float | None = None  # %
    cell_voltage_max: float | None = None  # V
    cell_voltage_min: float | None = None  # V
    temperature_max: float | None = None  # degC
    temperature_min: float | None = None  # degC
    cycle_count: int | None = None
    remaining_capacity_ah: float | None = None
    full_capacity_ah: float | None = None
    firmware: str | None = None

    @property
    def number(self) -> int:
        """1-based pack number."""
        return self.index + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class BatteryInfo:
    """The bank as one inverter's BMS port reports it, with its packs."""

    serial: str
    online: bool
    soc: float | None = None  # %
    voltage: float | None = None  # V
    current: float | None = None  # A, + charging: the BMS's own bank current
    power: float | None = None  # W, + charging
    status_text: str | None = None
    remaining_capacity_ah: float | None = None
    full_capacity_ah: float | None = None
    pack_count: int | None = None
    packs: tuple[BatteryPack, ...] = ()
