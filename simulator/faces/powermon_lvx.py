"""powermon (PI18 hass output) telemetry + the user's lvx-control command topics.

Telemetry is plain scalar payloads on ``{state_topic_prefix}/{prefix}_{n}_{key}/state``, not
retained. Commands go to ``{command_topic_prefix}/<name>``; the lvx-control bridge encodes each
one in ``bridge_protocol`` and sends it to every parallel unit. There is no ack topic: a NAK
simply leaves the readback unchanged.
"""

from __future__ import annotations

import logging

from ..inverter import Inverter, UnitMode, voltage_soc_pct
from ..pack import Pack
from ..protocols import EncodingError, Protocol, encode
from ..settings import ChargerPriority, Command, OutputPriority, Setting
from ..twin import Twin
from .base import Message, f1, f2, f3, i0, parse_float, parse_int

_LOG = logging.getLogger("simulator.faces.powermon_lvx")

DEVICE_MODE = {
    UnitMode.LINE: "Hybrid mode(Line mode, Grid mode)",
    UnitMode.BATTERY: "Battery mode",
    UnitMode.STANDBY: "Standby mode",
    UnitMode.FAULT: "Fault mode",
}
OUTPUT_PRIORITY = {
    OutputPriority.SUB: "Solar - Utility - Battery",
    OutputPriority.SBU: "Solar - Battery - Utility",
    OutputPriority.USB: "Utility - Solar - Battery",
}
CHARGER_PRIORITY = {
    ChargerPriority.SOLAR_FIRST: "Solar First",
    ChargerPriority.SOLAR_AND_UTILITY: "Solar and Utility",
    ChargerPriority.SOLAR_ONLY: "Only Solar",
}
OUTPUT_COMMANDS = {
    "solar_utility_battery": OutputPriority.SUB,
    "solar_battery_utility": OutputPriority.SBU,
}
CHARGER_COMMANDS = {p.value: p for p in ChargerPriority}

SOURCE = "powermon_lvx"


class PowermonLvxFace:
    """powermon + lvx-control face."""

    def __init__(
        self,
        twin: Twin,
        *,
        state_topic_prefix: str = "homeassistant/sensor",
        inverter_prefix: str = "lvx6048",
        battery_prefix: str = "lifepower4",
        command_topic_prefix: str = "solar/control/lvx6048",
        max_charge_current_command: str = "max_charge_current",
        max_utility_charge_current_command: str = "max_utility_charge_current",
        stop_charge_voltage_command: str = "stop_charge_voltage",
        bridge_protocol: Protocol = Protocol.PI18,
    ) -> None:
        """Bind to a twin; the *_command names are the last topic level of each number."""
        self.twin = twin
        self.state_topic_prefix = state_topic_prefix.rstrip("/")
        self.inverter_prefix = inverter_prefix
        self.battery_prefix = battery_prefix
        self.command_topic_prefix = command_topic_prefix.rstrip("/")
        self.bridge_protocol = bridge_protocol
        self._commands: dict[str, Setting] = {
            "output_priority": Setting.OUTPUT_PRIORITY,
            "charger_priority": Setting.CHARGER_PRIORITY,
            max_charge_current_command: Setting.MAX_CHARGE_CURRENT,
            max_utility_charge_current_command: Setting.MAX_UTILITY_CHARGE_CURRENT,
            stop_charge_voltage_command: Setting.REDISCHARGE_VOLTAGE,
        }

    # ------------------------------------------------------------------ telemetry
    def state_topic(self, prefix: str, number: int, key: str) -> str:
        """State topic of one reading."""
        return f"{self.state_topic_prefix}/{prefix}_{number}_{key}/state"

    def telemetry(self) -> list[Message]:
        """Every inverter and pack reading (empty during a dropout)."""
        if self.twin.telemetry_suppressed():
            return []
        out: list[Message] = []
        for inv in self.twin.inverters:
            for key, value in self.inverter_readings(inv).items():
                out.append(Message(self.state_topic(self.inverter_prefix, inv.index, key), value))
        for pack in self.twin.packs:
            for key, value in self.pack_readings(pack).items():
                out.append(Message(self.state_topic(self.battery_prefix, pack.index, key), value))
        return out

    def inverter_readings(self, inv: Inverter) -> dict[str, str]:
        """Payload per key for one unit."""
        fl = inv.flows
        s = inv.settings
        current = fl.battery_current_a
        return {
            "battery_voltage": f1(fl.battery_v),
            "battery_charging_current": i0(max(0.0, current)),
            "battery_discharge_current": i0(max(0.0, -current)),
            "battery_capacity": str(voltage_soc_pct(fl.battery_v)),
            "mppt1_input_power": i0(fl.pv_w),
            "mppt1_input_voltage": f1(fl.pv_v),
            "ac_output_active_power": i0(fl.load_w),
            "ac_output_load": str(inv.load_pct),
            "ac_input_voltage": f1(fl.grid_v),
            "ac_output_voltage": f1(fl.ac_out_v),
            "device_mode": DEVICE_MODE[fl.mode],
            "line_power_direction": "input" if fl.grid_in_w > 5.0 else "donothing",
            "battery_power_direction": _direction(current),
            "output_source_priority": OUTPUT_PRIORITY[s.output_priority],
            "charger_source_priority": CHARGER_PRIORITY[s.charger_priority],
            "max_charging_current": str(s.max_charge_current_a),
            "max_ac_charging_current": str(s.max_utility_charge_current_a),
            "battery_re-charge_voltage": f1(s.recharge_v),
            "battery_re-discharge_voltage": f1(s.redischarge_v),
            "battery_bulk_charge_voltage": f1(s.bulk_v),
            "battery_float_charge_voltage": f1(s.float_v),
            "battery_under_voltage": f1(s.under_voltage_v),
        }

    @staticmethod
    def pack_readings(pack: Pack) -> dict[str, str]:
        """Payload per key for one pack."""
        t1, t2, pcb = pack.temperatures
        flags = pack.bms.protection_list()
        return {
            "soc": str(pack.bms.soc_pct),
            "pack_voltage": f2(pack.voltage),
            "pack_current": f1(pack.current_a),
            "cell_voltage_max": f3(pack.cell_max),
            "cell_voltage_min": f3(pack.cell_min),
            "cell_voltage_delta_mv": str(pack.cell_delta_mv),
            "temperature_1": f1(t1),
            "temperature_2": f1(t2),
            "temperature_pcb": f1(pcb),
            "protection": ",".join(f.value for f in flags) if flags else "none",
            "charge_current_limit": f1(pack.charge_limit_a),
        }

    # ------------------------------------------------------------------ commands
    def command_subscriptions(self) -> list[str]:
        """The five command topics."""
        return [f"{self.command_topic_prefix}/{name}" for name in self._commands]

    def handle(self, topic: str, payload: str) -> list[Message]:
        """Apply an lvx-control command to every unit; never replies (no ack topic)."""
        prefix = self.command_topic_prefix + "/"
        if not topic.startswith(prefix):
            return []
        setting = self._commands.get(topic[len(prefix) :])
        if setting is None:
            return []
        request = f"{topic} <- {payload!r}"
        command = self.parse(setting, payload)
        if command is None:
            self.twin.record_rejection(SOURCE, request, f"unknown payload {payload!r}")
            return []
        raws: dict[int, str] = {}
        for inv in self.twin.inverters:
            try:
                raws[inv.index] = encode(self.bridge_protocol, inv.index - 1, command, inv.settings)
            except EncodingError as err:
                self.twin.record_rejection(SOURCE, request, str(err))
                return []
        result = self.twin.submit_raw(raws, source=SOURCE)
        _LOG.debug("%s -> %s: %s", request, raws, result)
        return []

    @staticmethod
    def parse(setting: Setting, payload: str) -> Command | None:
        """Payload string -> command, or None when the bridge would not recognise it."""
        if setting is Setting.OUTPUT_PRIORITY:
            output = OUTPUT_COMMANDS.get(payload)
            return None if output is None else Command.single(setting, output)
        if setting is Setting.CHARGER_PRIORITY:
            charger = CHARGER_COMMANDS.get(payload)
            return None if charger is None else Command.single(setting, charger)
        if setting is Setting.REDISCHARGE_VOLTAGE:
            volts = parse_float(payload)
            return None if volts is None else Command.single(setting, volts)
        amps = parse_int(payload)
        return None if amps is None else Command.single(setting, amps)


def _direction(current_a: float) -> str:
    if current_a > 0.5:
        return "charge"
    if current_a < -0.5:
        return "discharge"
    return "donothing"
