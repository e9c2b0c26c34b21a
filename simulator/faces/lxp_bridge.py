"""lxp-bridge / eg4-bridge MQTT face: one datalog per inverter, JSON inputs, holding registers.

Topics (``p`` = ``topic_prefix``, ``dl`` = a unit's datalog serial):

* ``p/dl/inputs/all``: the unit's input registers as one JSON object (``ReadInputAll``'s keys,
  compact, not retained).
* ``p/dl/hold/<register>``: one holding register as a plain integer (the raw u16), and for
  register 21 also ``p/dl/hold/21/bits`` (each flag ``"ON"`` / ``"OFF"``). **Retained**, as the
  real bridge publishes them. The real bridge reads the registers on connect and after every
  read or write (eg4-bridge also on a timer); this face repeats them in every
  :meth:`LxpBridgeFace.telemetry`, so a setting changed behind the bridge's back (a delayed
  apply, a scenario) reaches the broker on the next publish.
* Commands on ``p/cmd/<dl|all>/...``; each gets ``OK`` or ``FAIL`` on
  ``p/result/<dl>/<same path>`` (not retained).

Commands modelled (anything else is journaled and dropped without a reply, as the real bridge
drops a topic it cannot parse):

* ``set/hold/<register>`` with a u16 payload. The reply is the register's echo (the value the
  twin now holds, retained) and then ``OK`` when the write was taken or ``FAIL`` when refused:
  the real bridge publishes the inverter's echo and answers ``FAIL`` when it differs from the
  request. A payload that is not a u16 in Rust's syntax (``"80.0"``, ``"-1"``, ``" 80"``,
  ``"70000"``) gets no reply at all: lxp-bridge fails to parse the command and only logs it.
  A register the twin does not model is answered with ``FAIL`` (no echo).
* ``set/ac_charge``: bit 7 of register 21, by read-modify-write. Payload true when it is one of
  ``1 t true on y yes`` (ASCII, any case); anything else means false, as in lxp-bridge. Replies:
  the register as read first, its echo after the write, then ``OK`` / ``FAIL``.
* ``set/ac_charge_soc_limit_pct``: register 67, replied to on its own result path.
* ``read/hold/<register>`` (payload: register count, 1 when not a number): the modelled
  registers in that range, then ``OK``.
* The AC-charge windows 1-3 (:mod:`simulator.portal_windows`, shared with the portal):
  ``set/hold/68``..``73`` with a packed time (``hour | minute << 8``); ``set/ac_charge/<n>``
  with ``{"start":"HH:MM","end":"HH:MM"}`` (both boundaries, start first); ``read/ac_charge/<n>``.
  Each answers with the window's registers, the retained ``p/dl/ac_charge/<n>`` JSON and
  ``OK`` / ``FAIL`` (a time that is not one of the day is refused, nothing changes).
* The forced discharge (:mod:`simulator.faces.lxp_forced`): ``set/forced_discharge`` (bit 10 of
  register 21, read-modify-write like ``set/ac_charge``), its windows ``set/hold/84``..``89``
  and ``set|read/forced_discharge/<n>``; the unit discharges while the bit is on and the twin's
  clock is inside a window. A NAK rule without a setting refuses these too.

Mapping onto the twin (PI-family units), shared with the cloud portal through
:class:`simulator.cloud_payloads.ParamStore`: register 101 is the twin's max charge current,
168 its max utility charge current, 99 / 144 its bulk / float voltage (0.1 V); register 21
bit 7 (AC charge) on means output priority SUB + charger priority solar_and_utility, off means
SBU + solar_first, and it reads as on only while the unit may grid-charge. Registers 67
(AC-charge SoC limit, 0..100, 100 = to full) and 227 (system charge SoC limit, 10..101,
101 = none) are the twin's charge SoC limits (``Setting.AC_CHARGE_SOC_LIMIT`` /
``SYSTEM_CHARGE_SOC_LIMIT``): the unit stops charging (67: from the grid) once the bank's
``soc`` reads the limit. Registers 102
(discharge current) and 160 / 161 are stored per unit, range-checked and read back, and change
no physics. The other bits of register 21 are fixed
(EPS, anti-islanding, soft start, seamless switch, normal operation, ISO / GFCI / DCI checks
on); a write of register 21 that changes any of them is refused. Twin settings go through
:meth:`Twin.submit` (firmware validation, NAK and delay rules). A stored register takes a
NAK rule that has no setting (``faults.nak_next``) but no delay; its writes are journaled
too. A delayed write is answered ``OK`` at once; its echo and the published register show
the new value only once the twin applies it (an acknowledged write is not an applied one).

The bank (how each unit's BMS port sees it): the twin's packs share one bus with every unit, so
each unit reports the same bank, as an EG4 bank's master BMS aggregates it for the inverters:

* ``soc``: the pack counters' mean, rounded (as :func:`simulator.cloud_payloads.bank_soc`
  reports the bank for the portal; a real portal capture of packs at 67 / 71 / 76 % shows the
  bank at 71 %);
* ``bat_current``: the sum of the pack currents (+ = charging, 0.01 A);
* ``max_cell_voltage`` / ``min_cell_voltage``: the extremes over every cell of every pack;
* ``max_cell_temp`` / ``min_cell_temp``: the extremes over both cell sensors of every pack;
* ``bat_count``, ``bat_capacity`` (Ah, summed), ``cycle_count`` (the most-cycled pack).

``v_bat`` / ``vbat_inv`` are the unit's own battery-voltage sample, ``p_inv`` the unit's AC
output power (the twin's units carry the whole load on their output), ``p_rec`` its grid
charge power. ``max_chg_curr`` is the sum over the packs of 0.5 C capped by each BMS's
(temperature-derated, 0 with the charge FET open) charge limit. The energy counters
(``e_*_day`` / ``e_*_all``) are the unit's meter (:class:`simulator.portal_energy.EnergyMeter`,
the portal's own), in 0.1 kWh steps. Fields the twin does not model (generator, recommended
voltages, bus voltages) carry fixed illustrative values.

Real-bridge quirk: lxp-bridge (6d6fcee) and eg4-bridge (0475d85) parse ``bat_current`` and the
cell temperatures as *unsigned* u16, though EG4's register map says they are signed, so a
discharge current or a sub-zero temperature comes out wrapped (-10.00 A as 645.36).
``unsigned_bms_fields=True`` publishes them that way; the default publishes them signed, which
is what the integration's profile expects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import cloud_payloads as portal
from .. import portal_windows as windows
from ..bms import Protection
from ..inverter import Inverter, UnitMode
from ..portal_energy import EnergyMeter
from ..portal_models import CurrentRule
from ..settings import Setting
from ..twin import Twin
from .base import Message
from .lxp_forced import FORCED_DISCHARGE_BIT, ForcedDischarge
from .lxp_forced import REGISTERS as FORCED_REGISTERS
from .lxp_forced import window_registers as forced_registers

SOURCE = "lxp_bridge"
DEFAULT_DATALOGS = ("BA12345678", "BA87654321")
FUNC_REGISTER = 21
AC_CHARGE_BIT = 1 << 7
# Register 21, bit 0 first, as lxp-bridge names the flags in ``hold/21/bits``.
FUNC_BITS = (
    "eps_en",
    "ovf_load_derate_en",
    "drms_en",
    "lvrt_en",
    "anti_island_en",
    "neutral_detect_en",
    "grid_on_power_ss_en",
    "ac_charge_en",
    "sw_seamless_en",
    "set_to_standby",
    "forced_discharge_en",
    "charge_priority_en",
    "iso_en",
    "gfci_en",
    "dci_en",
    "feed_in_grid_en",
)
# The bits the twin holds on: every one but bit 7 is fixed (set_to_standby on = normal
# operation, like the portal's FUNC_SET_TO_STANDBY; eps_en like its FUNC_EPS_EN).
FUNC_FIXED = sum(
    1 << FUNC_BITS.index(name)
    for name in (
        "eps_en",
        "anti_island_en",
        "grid_on_power_ss_en",
        "sw_seamless_en",
        "set_to_standby",
        "iso_en",
        "gfci_en",
        "dci_en",
    )
)
TRUE_WORDS = frozenset({"1", "t", "true", "on", "y", "yes"})
U16_MAX = 0xFFFF

# lxp status codes (input register 0)
STANDBY = 0x00
PV_ON_GRID = 0x04
PV_CHARGE_ON_GRID = 0x0C
BATTERY_ON_GRID = 0x10
BYPASS = 0x11
PV_BATTERY_ON_GRID = 0x14
AC_CHARGE = 0x20
PV_AC_CHARGE = 0x28
BATTERY_OFF_GRID = 0x40
PV_OFF_GRID = 0x80
PV_CHARGE_OFF_GRID = 0x88
PV_BATTERY_OFF_GRID = 0xC0
# The twin's only fault is a parallel-group settings mismatch; shown as fault code bit 11
# (E011, "AC input inconsistent in parallel system"), the nearest parallel-system code.
PARALLEL_FAULT = 1 << 11
# Illustrative BMS figures the twin does not model.
BMS_CHARGE_C = 0.5  # charge / discharge current limit per pack that allows it, x C
BMS_CHARGE_VOLT_REF = 56.0
BMS_DISCHARGE_CUT_VOLT = 48.0
BUS_1_V = 380.0
BUS_2_V = 300.0
MOVING_A = 0.05
MOVING_W = 0.5


@dataclass(frozen=True, slots=True)
class HoldRegister:
    """A holding register the twin models: the portal parameter behind it and its scale."""

    name: str
    scale: int  # raw register value = engineering value x scale


_TENTHS = (Setting.BULK_VOLTAGE, Setting.FLOAT_VOLTAGE)
HOLD_REGISTERS: dict[int, HoldRegister] = dict(
    sorted(
        [
            (register, HoldRegister(name, 10 if setting in _TENTHS else 1))
            for name, (register, setting) in portal.TWIN_PARAMS.items()
        ]
        + [(register, HoldRegister(name, 1)) for name, (register, _, _) in portal.STORED.items()]
    )
)
# The AC-charge windows (68-73): register -> the portal's writeTime name of that boundary.
WINDOW_PARAMS = {register: name for name, register in windows.TIME_PARAMS.items()}
PUBLISHED_REGISTERS = tuple(
    sorted((FUNC_REGISTER, *HOLD_REGISTERS, *WINDOW_PARAMS, *FORCED_REGISTERS))
)
AC_CHARGE_SOC_LIMIT_REGISTER = portal.TWIN_PARAMS["HOLD_AC_CHARGE_SOC_LIMIT"][0]


def default_datalogs(count: int) -> tuple[str, ...]:
    """Datalog serials for ``count`` units: the two documented examples, then BA00000003..."""
    extra = tuple(f"BA{n:08d}" for n in range(len(DEFAULT_DATALOGS) + 1, count + 1))
    return (DEFAULT_DATALOGS + extra)[:count]


def parse_u16(text: str) -> int | None:
    """A u16 the way Rust's ``str::parse::<u16>`` reads it (optional ``+``, digits), or None."""
    digits = text.removeprefix("+")
    if not digits or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(digits)
    return value if value <= U16_MAX else None


def payload_bool(text: str) -> bool:
    """lxp-bridge's boolean payload: true for 1/t/true/on/y/yes (ASCII, any case)."""
    return text.isascii() and text.lower() in TRUE_WORDS


class LxpBridgeFace:
    """lxp-bridge face: one datalog per twin unit."""

    def __init__(
        self,
        twin: Twin,
        *,
        topic_prefix: str = "lxp",
        datalogs: Sequence[str] | None = None,
        unsigned_bms_fields: bool = False,
        currents: CurrentRule | None = None,
    ) -> None:
        """Bind to a twin; ``datalogs`` lists one serial per unit (unit 1 first).

        ``currents``: the firmware's charge-current rule (None: the twin's own 10..80 A steps;
        ``WHOLE_AMPS_0_250`` for the hybrids, whose register 101 takes whole amps).
        """
        self.twin = twin
        self.topic_prefix = topic_prefix.strip("/")
        names = default_datalogs(len(twin.inverters)) if datalogs is None else tuple(datalogs)
        if len(names) != len(twin.inverters) or len(set(names)) != len(names):
            msg = f"need {len(twin.inverters)} distinct datalogs, one per unit; got {names}"
            raise ValueError(msg)
        if any(not name or not name.isalnum() for name in names):
            raise ValueError(f"datalogs must be letters and digits: {names}")
        self.datalogs = names
        self.unsigned_bms_fields = unsigned_bms_fields
        self.params = portal.ParamStore(twin, source=SOURCE, currents=currents)
        self.energy = EnergyMeter(twin)
        self.forced = ForcedDischarge(twin)  # register 21 bit 10 and its windows 84-89

    # ------------------------------------------------------------------ telemetry
    def telemetry(self) -> list[Message]:
        """Each unit's inputs/all and its holding registers (empty during a dropout)."""
        self.energy.observe()  # the inverter counts whether or not the bridge publishes
        self.forced.follow()  # a window opens or closes as the clock moves
        if self.twin.telemetry_suppressed():
            return []
        out: list[Message] = []
        for unit, datalog in enumerate(self.datalogs, start=1):
            payload = json.dumps(self.inputs_all(unit), separators=(",", ":"))
            out.append(Message(f"{self.topic_prefix}/{datalog}/inputs/all", payload))
            out.extend(self.hold_messages(unit, PUBLISHED_REGISTERS))
        return out

    def inputs_all(self, unit: int) -> dict[str, Any]:
        """The ``inputs/all`` object of one unit, in lxp-bridge's key order."""
        twin = self.twin
        inv = twin.inverter(unit)
        fl = inv.flows
        volts = fl.battery_v or twin.bus_voltage
        battery_w = round(fl.battery_current_a * volts)
        grid_w = round(fl.grid_in_w)
        out_v = _r(fl.ac_out_v, 1)
        return {
            "status": _status(inv),
            "v_pv_1": _r(fl.pv_v, 1),
            "v_pv_2": 0.0,
            "v_pv_3": 0.0,
            "v_bat": _r(volts, 1),
            "soc": portal.bank_soc(twin),
            "soh": 100,
            "internal_fault": 0,
            "p_pv": round(fl.pv_w),
            "p_pv_1": round(fl.pv_w),
            "p_pv_2": 0,
            "p_pv_3": 0,
            "p_battery": battery_w,
            "p_charge": max(0, battery_w),
            "p_discharge": max(0, -battery_w),
            "v_ac_r": _r(fl.grid_v, 1),
            "v_ac_s": 0.0,
            "v_ac_t": 0.0,
            "f_ac": 60.0 if fl.grid_v > 0.0 else 0.0,
            "p_inv": round(fl.load_w),
            "p_rec": round(fl.grid_charge_a * volts),
            "pf": 1.0,
            "v_eps_r": out_v,
            "v_eps_s": 0.0,
            "v_eps_t": 0.0,
            "f_eps": 60.0 if fl.ac_out_v > 0.0 else 0.0,
            "p_eps": 0,
            "s_eps": 0,
            "p_grid": grid_w,
            "p_to_grid": 0,
            "p_to_user": grid_w,
            **_energy("day", self.energy.kwh([unit], "today")),
            "v_bus_1": BUS_1_V,
            "v_bus_2": BUS_2_V,
            **_energy("all", self.energy.kwh([unit])),
            "fault_code": PARALLEL_FAULT if fl.mode is UnitMode.FAULT else 0,
            "warning_code": 0,
            "t_inner": round(fl.temperature_c),
            "t_rad_1": round(fl.temperature_c - 3.0),
            "t_rad_2": round(fl.temperature_c - 5.0),
            "t_bat": round(_mean_pack_temperature(twin)),
            "runtime": int(twin.clock_s),
            **self.bms_fields(),
            "vbat_inv": _r(volts, 1),
            "v_gen": 0.0,
            "f_gen": 0.0,
            "p_gen": 0,
            "e_gen_day": 0.0,
            "e_gen_all": 0.0,
            "v_eps_l1": out_v,
            "v_eps_l2": 0.0,
            "p_eps_l1": 0,
            "p_eps_l2": 0,
            "s_eps_l1": 0,
            "s_eps_l2": 0,
            "e_eps_l1_day": 0.0,
            "e_eps_l2_day": 0.0,
            "e_eps_l1_all": 0.0,
            "e_eps_l2_all": 0.0,
            "time": portal.device_timestamp(twin),
            "datalog": self.datalogs[unit - 1],
        }

    def bms_fields(self) -> dict[str, Any]:
        """The bank as the BMS port reports it (the same for every unit)."""
        packs = self.twin.packs
        charge_limit = sum(min(BMS_CHARGE_C * p.capacity_ah, p.charge_limit_a) for p in packs)
        discharge_limit = sum(BMS_CHARGE_C * p.capacity_ah for p in packs if p.discharge_allowed)
        cell_temps = [t for p in packs for t in p.temperatures[:2]]
        events = 0  # illustrative: bit n = the n-th Protection flag on any pack
        for pack in packs:
            for flag in pack.bms.protection_list():
                events |= 1 << list(Protection).index(flag)
        return {
            "max_chg_curr": _r(charge_limit, 1),
            "max_dischg_curr": _r(discharge_limit, 1),
            "charge_volt_ref": BMS_CHARGE_VOLT_REF,
            "dischg_cut_volt": BMS_DISCHARGE_CUT_VOLT,
            **{f"bat_status_{n}": 0 for n in range(10)},
            "bat_status_inv": 0,
            "bat_count": len(packs),
            "bat_capacity": round(sum(p.capacity_ah for p in packs)),
            "bat_current": self._bms_signed(sum(p.current_a for p in packs), 100),
            "bms_event_1": events,
            "bms_event_2": 0,
            "max_cell_voltage": _r(max(p.cell_max for p in packs), 3),
            "min_cell_voltage": _r(min(p.cell_min for p in packs), 3),
            "max_cell_temp": self._bms_signed(max(cell_temps), 10),
            "min_cell_temp": self._bms_signed(min(cell_temps), 10),
            "bms_fw_update_state": 0,
            "cycle_count": max(p.cycles for p in packs),
        }

    def _bms_signed(self, value: float, scale: int) -> float:
        """A signed BMS register value; wrapped as an unsigned u16 when asked to."""
        raw = round(value * scale)
        if self.unsigned_bms_fields:
            raw &= U16_MAX
        return raw / scale + 0.0  # + 0.0: never "-0.0"

    def register_value(self, unit: int, register: int) -> int | None:
        """Raw value of a holding register of one unit, or None when the twin lacks it."""
        if register == FUNC_REGISTER:
            on = portal.grid_charging(self.twin.inverter(unit))
            return FUNC_FIXED | (AC_CHARGE_BIT if on else 0) | self.forced.bits(unit)
        if register in FORCED_REGISTERS:
            return self.forced.register(unit, register)
        if register in WINDOW_PARAMS:
            return self.params.windows.unit(unit)[register]
        spec = HOLD_REGISTERS.get(register)
        if spec is None:
            return None
        text = self.params.read(unit, register, 1).get(spec.name)
        return None if text is None else round(float(text) * spec.scale)

    def hold_messages(self, unit: int, registers: Sequence[int]) -> list[Message]:
        """Retained ``hold/<register>`` messages (plus ``hold/21/bits``) of one unit."""
        base = f"{self.topic_prefix}/{self.datalogs[unit - 1]}/hold"
        out: list[Message] = []
        for register in registers:
            value = self.register_value(unit, register)
            if value is None:
                continue
            out.append(Message(f"{base}/{register}", str(value), retain=True))
            if register == FUNC_REGISTER:
                bits = {name: "ON" if value >> n & 1 else "OFF" for n, name in enumerate(FUNC_BITS)}
                payload = json.dumps(bits, separators=(",", ":"))
                out.append(Message(f"{base}/{register}/bits", payload, retain=True))
        return out

    # ------------------------------------------------------------------ commands
    def command_subscriptions(self) -> list[str]:
        """``p/cmd/all/#`` and ``p/cmd/<datalog>/#`` for each unit, as the bridge subscribes."""
        p = self.topic_prefix
        return [f"{p}/cmd/all/#", *(f"{p}/cmd/{datalog}/#" for datalog in self.datalogs)]

    def handle(self, topic: str, payload: str) -> list[Message]:
        """Apply one command to its unit (or each unit, for ``all``); return the replies."""
        head = f"{self.topic_prefix}/cmd/"
        if not topic.startswith(head):
            return []
        target, _, path = topic[len(head) :].partition("/")
        if target == "all":
            units = list(range(1, len(self.datalogs) + 1))
        elif target in self.datalogs:
            units = [self.datalogs.index(target) + 1]
        else:
            return []
        out: list[Message] = []
        for unit in units:
            out.extend(self._command(unit, path, payload, f"{topic} <- {payload!r}"))
        return out

    def _command(self, unit: int, path: str, payload: str, request: str) -> list[Message]:
        """One command for one unit; a command the bridge could not parse gets no reply."""
        reason = "not a command this face models: dropped without a reply"
        if path.split("/")[1:2] == ["forced_discharge"]:
            replies = self._forced_command(unit, path, payload, request)
            if replies is not None:
                return replies
            reason = "not a forced-discharge command: dropped without a reply"
        match path.split("/"):
            case ["set", "hold", register_text]:
                register, value = parse_u16(register_text), parse_u16(payload)
                if register is not None and value is not None:
                    return self._set_hold(unit, register, value, path, request)
                reason = "register or value is not a u16: dropped without a reply"
            case ["set", "ac_charge_soc_limit_pct"]:
                value = parse_u16(payload)
                if value is not None:
                    return self._set_hold(unit, AC_CHARGE_SOC_LIMIT_REGISTER, value, path, request)
                reason = "value is not a u16: dropped without a reply"
            case ["set", "ac_charge"]:
                return self._set_ac_charge(unit, payload_bool(payload), path)
            case ["set" | "read" as verb, "ac_charge", window_text] if window_text in (
                "1",
                "2",
                "3",
            ):
                window = int(window_text)
                if verb == "read":
                    return self._window_messages(unit, window, path, ok=True)
                times = _window_times(payload)
                if times is not None:
                    return self._set_window(unit, window, times, path, request)
                reason = 'not {"start":"HH:MM","end":"HH:MM"}: dropped without a reply'

            case ["read", "hold", register_text]:
                register = parse_u16(register_text)
                if register is not None:
                    count = parse_u16(payload)
                    return self._read_hold(unit, register, 1 if count is None else count, path)
                reason = "register is not a u16: dropped without a reply"
        self.twin.record_rejection(SOURCE, request, reason)  # it never reaches the unit
        return []

    def _set_hold(
        self, unit: int, register: int, value: int, path: str, request: str
    ) -> list[Message]:
        ok = self._write_register(unit, register, value, request)
        return [*self.hold_messages(unit, [register]), self._result(unit, path, ok=ok)]

    def _set_ac_charge(self, unit: int, enable: bool, path: str) -> list[Message]:
        before = self.hold_messages(unit, [FUNC_REGISTER])  # the bridge reads 21 first
        ok = self._grid_charge(unit, enable)
        after = self.hold_messages(unit, [FUNC_REGISTER])  # the write's echo
        return [*before, *after, self._result(unit, path, ok=ok)]

    def _forced_command(
        self, unit: int, path: str, payload: str, request: str
    ) -> list[Message] | None:
        """``set/forced_discharge`` and ``set|read/forced_discharge/<n>``; None if neither."""
        match path.split("/"):
            case ["set", "forced_discharge"]:
                return self._set_forced(unit, payload_bool(payload), path, request)
            case ["set" | "read" as verb, "forced_discharge", window_text] if window_text in (
                "1",
                "2",
                "3",
            ):
                times = _window_times(payload) if verb == "set" else None
                if verb == "read" or times is not None:
                    return self._forced_window(unit, int(window_text), times, path, request)
        return None

    def _set_forced(self, unit: int, enable: bool, path: str, request: str) -> list[Message]:
        """Bit 10 of register 21 by read-modify-write, like ``set/ac_charge``."""
        before = self.hold_messages(unit, [FUNC_REGISTER])
        nak = self._nak(unit)
        if nak is None:
            self.forced.switch(unit, enable)
        self._journal(unit, request, nak)
        after = self.hold_messages(unit, [FUNC_REGISTER])
        return [*before, *after, self._result(unit, path, ok=nak is None)]

    def _nak(self, unit: int) -> str | None:
        """A NAK rule without a setting (``faults.nak_next``, a refusing bridge) for ``unit``."""
        return self.twin.faults.nak_command(unit, self.twin.inverter(unit).settings)

    def _forced_window(
        self,
        unit: int,
        window: int,
        times: tuple[int, int, int, int] | None,
        path: str,
        request: str,
    ) -> list[Message]:
        """Set (``times``) or read one forced-discharge window: registers, JSON, result."""
        ok = True
        if times is not None:
            words = (windows.pack(*times[:2]), windows.pack(*times[2:]))
            registers = forced_registers(window)
            reasons = [self.forced.write(unit, r, w) for r, w in zip(registers, words, strict=True)]
            ok = not any(reasons)
            self._journal(unit, request, next((r for r in reasons if r), None))
        topic = f"{self.topic_prefix}/{self.datalogs[unit - 1]}/forced_discharge/{window}"
        payload = json.dumps(self.forced.window(unit, window), separators=(",", ":"))
        return [
            *self.hold_messages(unit, forced_registers(window)),
            Message(topic, payload, retain=True),
            self._result(unit, path, ok=ok),
        ]

    def _set_window(
        self, unit: int, window: int, times: tuple[int, int, int, int], path: str, request: str
    ) -> list[Message]:
        """Both boundaries of one window, start first; FAIL when either is not taken."""
        start_hm, end_hm = times[:2], times[2:]
        ok = all(
            self.params.write_time(unit, WINDOW_PARAMS[register], *hm, request=request) is None
            for register, hm in zip(
                windows.window_registers(window), (start_hm, end_hm), strict=True
            )
        )
        return self._window_messages(unit, window, path, ok=ok)

    def _window_messages(self, unit: int, window: int, path: str, *, ok: bool) -> list[Message]:
        """The window's registers, its retained ``ac_charge/<n>`` JSON, then the result."""
        topic = f"{self.topic_prefix}/{self.datalogs[unit - 1]}/ac_charge/{window}"
        payload = json.dumps(self.params.windows.window(unit, window), separators=(",", ":"))
        return [
            *self.hold_messages(unit, windows.window_registers(window)),
            Message(topic, payload, retain=True),
            self._result(unit, path, ok=ok),
        ]

    def _read_hold(self, unit: int, register: int, count: int, path: str) -> list[Message]:
        wanted = [r for r in PUBLISHED_REGISTERS if register <= r < register + count]
        return [*self.hold_messages(unit, sorted(wanted)), self._result(unit, path, ok=True)]

    def _result(self, unit: int, path: str, *, ok: bool) -> Message:
        topic = f"{self.topic_prefix}/result/{self.datalogs[unit - 1]}/{path}"
        return Message(topic, "OK" if ok else "FAIL")

    def _write_register(self, unit: int, register: int, value: int, request: str) -> bool:
        if register == FUNC_REGISTER:
            if value & ~(AC_CHARGE_BIT | FORCED_DISCHARGE_BIT) != FUNC_FIXED:
                reason = f"register 21 = {value}: only bits 7 and 10 can change here"
                self._journal(unit, request, reason)
                return False
            self.forced.switch(unit, bool(value & FORCED_DISCHARGE_BIT))
            return self._grid_charge(unit, bool(value & AC_CHARGE_BIT))
        if register in FORCED_REGISTERS:
            refused = self._nak(unit) or self.forced.write(unit, register, value)
            self._journal(unit, request, refused)
            return refused is None
        if register in WINDOW_PARAMS:
            hour, minute = windows.unpack(value)
            name = WINDOW_PARAMS[register]
            return self.params.write_time(unit, name, hour, minute, request=request) is None
        spec = HOLD_REGISTERS.get(register)
        if spec is None:
            self._journal(unit, request, f"register {register} is not modelled by the twin")
            return False
        text = f"{value / spec.scale:g}"
        # Journaled by the store (a stored register) or by twin.submit (a twin setting).
        return self.params.write(unit, spec.name, text, request=request) is None

    def _grid_charge(self, unit: int, enable: bool) -> bool:
        """Register 21 bit 7 through the portal's FUNC_AC_CHARGE (twin.submit journals it)."""
        return self.params.function(unit, portal.AC_CHARGE, enable) is None

    def _journal(self, unit: int, request: str, reason: str | None) -> None:
        """Record a command the face settled itself (reason None = applied)."""
        self.params.journal(unit, request, reason)


def _window_times(payload: str) -> tuple[int, int, int, int] | None:
    """(start hour, start minute, end hour, end minute) of a ``set/ac_charge/<n>`` payload."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    out: list[int] = []
    for edge in ("start", "end"):
        text = data.get(edge)
        hour, sep, minute = text.partition(":") if isinstance(text, str) else ("", "", "")
        if not sep or not (hour + minute).isascii() or not (hour + minute).isdigit():
            return None
        out += [int(hour), int(minute)]
    return out[0], out[1], out[2], out[3]


def _r(value: float, digits: int) -> float:
    """Rounded, never -0.0."""
    return round(value, digits) + 0.0


def _status(inv: Inverter) -> int:
    """The lxp status code (input register 0) of one unit from its last step."""
    fl = inv.flows
    if fl.mode in (UnitMode.STANDBY, UnitMode.FAULT):
        return STANDBY
    pv = fl.pv_w > MOVING_W
    if fl.mode is UnitMode.LINE:
        if fl.grid_charge_a > MOVING_A:
            return PV_AC_CHARGE if pv else AC_CHARGE
        if fl.solar_charge_a > MOVING_A:
            return PV_CHARGE_ON_GRID
        return PV_ON_GRID if pv else BYPASS
    on_grid = fl.grid_v > 0.0
    if fl.discharge_a > MOVING_A:
        if on_grid:
            return PV_BATTERY_ON_GRID if pv else BATTERY_ON_GRID
        return PV_BATTERY_OFF_GRID if pv else BATTERY_OFF_GRID
    if fl.solar_charge_a > MOVING_A:
        return PV_CHARGE_ON_GRID if on_grid else PV_CHARGE_OFF_GRID
    return PV_ON_GRID if on_grid else PV_OFF_GRID


def _mean_pack_temperature(twin: Twin) -> float:
    temps = [t for p in twin.packs for t in p.temperatures[:2]]
    return sum(temps) / len(temps)


def _energy(period: str, kwh: dict[str, float]) -> dict[str, float]:
    """One period's energy counters (kWh; ``day`` or ``all``) from the unit's meter.

    PV is one string; the load is the inverter's output (``p_inv`` above); the twin has no
    rectifier or EPS counters of its own (0).
    """
    out = {f"e_pv_{period}": kwh["Yielding"], f"e_pv_{period}_1": kwh["Yielding"]}
    out.update({f"e_pv_{period}_{n}": 0.0 for n in (2, 3)})
    for key, kind in (
        ("inv", "Usage"),
        ("rec", None),
        ("chg", "Charging"),
        ("dischg", "Discharging"),
        ("eps", None),
        ("to_grid", "Export"),
        ("to_user", "Import"),
    ):
        out[f"e_{key}_{period}"] = kwh[kind] if kind else 0.0
    return out
