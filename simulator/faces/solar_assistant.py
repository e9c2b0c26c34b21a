"""Solar Assistant MQTT face: ``{p}/<inverter_N|battery_N|total>/<metric>/state`` scalars.

Commands are ``{p}/inverter_N/<setting>/set`` with the human-readable strings SA shows; each
goes to that one unit only. The result is published on ``{p}/set/response_message/state``:
``Saved`` when the unit accepted it, ``Error: <reason>`` otherwise.
"""

from __future__ import annotations

from ..inverter import Inverter, UnitMode
from ..pack import Pack
from ..portal_energy import EnergyMeter
from ..settings import ChargerPriority, Command, OutputPriority, Setting
from ..twin import Twin
from .base import Message, f1, f2, f3, i0, parse_float, parse_int

OUTPUT_PRIORITY = {
    OutputPriority.SBU: "Solar/Battery/Utility",
    OutputPriority.SUB: "Solar/Utility/Battery",
    OutputPriority.USB: "Utility first",
}
CHARGER_PRIORITY = {
    ChargerPriority.SOLAR_FIRST: "Solar first",
    ChargerPriority.SOLAR_AND_UTILITY: "Solar and utility simultaneously",
    ChargerPriority.SOLAR_ONLY: "Solar only",
}
SETTINGS: dict[str, Setting] = {
    "output_source_priority": Setting.OUTPUT_PRIORITY,
    "charger_source_priority": Setting.CHARGER_PRIORITY,
    "max_charge_current": Setting.MAX_CHARGE_CURRENT,
    "max_grid_charge_current": Setting.MAX_UTILITY_CHARGE_CURRENT,
    "back_to_battery_voltage": Setting.REDISCHARGE_VOLTAGE,
    "to_grid_battery_voltage": Setting.RECHARGE_VOLTAGE,
    "battery_float_charge_voltage": Setting.FLOAT_VOLTAGE,
    "battery_absorption_charge_voltage": Setting.BULK_VOLTAGE,
}
SOURCE = "solar_assistant"
# total/<metric> -> the meter's kind.
TOTAL_ENERGIES = {
    "pv_energy": "Yielding",
    "battery_energy_in": "Charging",
    "battery_energy_out": "Discharging",
    "grid_energy_in": "Import",
    "grid_energy_out": "Export",
    "load_energy": "Usage",
}


class SolarAssistantFace:
    """Solar Assistant face."""

    def __init__(self, twin: Twin, *, topic_prefix: str = "solar_assistant") -> None:
        """Bind to a twin; every topic starts with topic_prefix."""
        self.twin = twin
        self.topic_prefix = topic_prefix.rstrip("/")
        self.energy = EnergyMeter(twin)

    @property
    def response_topic(self) -> str:
        """Where command results are published."""
        return f"{self.topic_prefix}/set/response_message/state"

    # ------------------------------------------------------------------ telemetry
    def telemetry(self) -> list[Message]:
        """Every inverter, battery and total metric (empty during a dropout)."""
        self.energy.observe()  # Solar Assistant keeps counting what it last saw
        if self.twin.telemetry_suppressed():
            return []
        p = self.topic_prefix
        out: list[Message] = []
        for inv in self.twin.inverters:
            for metric, value in self.inverter_metrics(inv).items():
                out.append(Message(f"{p}/inverter_{inv.index}/{metric}/state", value))
        for pack in self.twin.packs:
            for metric, value in self.battery_metrics(pack).items():
                out.append(Message(f"{p}/battery_{pack.index}/{metric}/state", value))
        for metric, value in self.total_metrics().items():
            out.append(Message(f"{p}/total/{metric}/state", value))
        return out

    @staticmethod
    def inverter_metrics(inv: Inverter) -> dict[str, str]:
        """Payload per metric for one unit."""
        fl = inv.flows
        s = inv.settings
        return {
            "device_mode": _device_mode(inv),
            "battery_voltage": f1(fl.battery_v),
            "battery_current": f1(fl.battery_current_a),
            "pv_power": i0(fl.pv_w),
            "pv_voltage": f1(fl.pv_v),
            "load_power": i0(fl.load_w),
            "load_percentage": str(inv.load_pct),
            "grid_power": i0(fl.grid_in_w),  # + importing
            "grid_voltage": f1(fl.grid_v),
            "ac_output_voltage": f1(fl.ac_out_v),
            "temperature": f1(fl.temperature_c),
            "output_source_priority": OUTPUT_PRIORITY[s.output_priority],
            "charger_source_priority": CHARGER_PRIORITY[s.charger_priority],
            "max_charge_current": str(s.max_charge_current_a),
            "max_grid_charge_current": str(s.max_utility_charge_current_a),
            "back_to_battery_voltage": f1(s.redischarge_v),
            "to_grid_battery_voltage": f1(s.recharge_v),
            "battery_float_charge_voltage": f1(s.float_v),
            "battery_absorption_charge_voltage": f1(s.bulk_v),
        }

    @staticmethod
    def battery_metrics(pack: Pack) -> dict[str, str]:
        """Payload per metric for one pack."""
        t1, t2, _ = pack.temperatures
        cells = pack.cell_voltages
        return {
            "state_of_charge": str(pack.bms.soc_pct),
            "voltage": f2(pack.voltage),
            "current": f1(pack.current_a),
            "power": i0(pack.voltage * pack.current_a),
            "temperature": f1(max(t1, t2)),
            "cell_voltage_-_highest": f3(max(cells)),
            "cell_voltage_-_lowest": f3(min(cells)),
            "cell_voltage_-_average": f3(sum(cells) / len(cells)),
            "cycles": str(pack.cycles),
        }

    def total_metrics(self) -> dict[str, str]:
        """Bank totals."""
        packs = self.twin.packs
        soc = sum(p.bms.soc_exact_pct for p in packs) / len(packs)
        power = sum(p.voltage * p.current_a for p in packs)
        # The system's energies of the day (kWh): Solar Assistant's own restart at midnight.
        today = self.energy.kwh(list(range(1, len(self.twin.inverters) + 1)), "today")
        return {
            "battery_state_of_charge": i0(soc),
            "battery_power": i0(power),
            **{metric: f1(today[kind]) for metric, kind in TOTAL_ENERGIES.items()},
        }

    # ------------------------------------------------------------------ commands
    def command_subscriptions(self) -> list[str]:
        """``{p}/+/+/set``."""
        return [f"{self.topic_prefix}/+/+/set"]

    def handle(self, topic: str, payload: str) -> list[Message]:
        """Apply a command to one unit; reply on the response topic."""
        prefix = self.topic_prefix + "/"
        if not topic.startswith(prefix) or not topic.endswith("/set"):
            return []
        parts = topic[len(prefix) : -len("/set")].split("/")
        if len(parts) != 2 or not parts[0].startswith("inverter_"):
            return []
        request = f"{topic} <- {payload!r}"
        unit_text, name = parts[0][len("inverter_") :], parts[1]
        if not unit_text.isdigit() or not 1 <= int(unit_text) <= len(self.twin.inverters):
            return self._error(request, f"Unknown inverter {unit_text}")
        setting = SETTINGS.get(name)
        if setting is None:
            return self._error(request, f"Unknown setting {name}")
        command = self.parse(setting, payload)
        if command is None:
            return self._error(request, f"Invalid value {payload!r}")
        result = self.twin.submit([int(unit_text)], command, source=SOURCE)
        if result.accepted:
            return [Message(self.response_topic, "Saved")]
        return [Message(self.response_topic, f"Error: {result.reason}")]

    def _error(self, request: str, reason: str) -> list[Message]:
        self.twin.record_rejection(SOURCE, request, reason)
        return [Message(self.response_topic, f"Error: {reason}")]

    @staticmethod
    def parse(setting: Setting, payload: str) -> Command | None:
        """SA payload -> command, or None."""
        if setting is Setting.OUTPUT_PRIORITY:
            output = {v: k for k, v in OUTPUT_PRIORITY.items()}.get(payload)
            return None if output is None else Command.single(setting, output)
        if setting is Setting.CHARGER_PRIORITY:
            charger = {v: k for k, v in CHARGER_PRIORITY.items()}.get(payload)
            return None if charger is None else Command.single(setting, charger)
        if setting in (Setting.MAX_CHARGE_CURRENT, Setting.MAX_UTILITY_CHARGE_CURRENT):
            amps = parse_int(payload)
            return None if amps is None else Command.single(setting, amps)
        volts = parse_float(payload)
        return None if volts is None else Command.single(setting, volts)


def _device_mode(inv: Inverter) -> str:
    mode = inv.flows.mode
    if mode is UnitMode.LINE:
        return "Grid"
    if mode is UnitMode.BATTERY:
        return "Solar/Battery" if inv.flows.pv_w > 0.0 else "Battery"
    if mode is UnitMode.FAULT:
        return "Fault"
    return "Standby"
