"""Keep powermon's PI18 ratings off the measurements' topics (pure).

powermon 1.0.18 names a state topic after the reading's description only, and PI18's ``PIRI``
(the inverter's ratings and settings) shares six descriptions with ``GS`` (its live status):
"AC Input Voltage", "AC Output Voltage", "AC Output Frequency", "AC Output Apparent Power",
"AC Output Active Power" and "Battery Voltage". Every poll therefore publishes, on one topic,
GS's measurement (battery 54.9 V) and then PIRI's rating (48.0 V).

The design rests on what powermon's ``hass`` format guarantees: one command's readings are
published together, as a block, in the order of the protocol's definition, and the broker
hands one client's messages to the integration in that order. Per unit:

* both blocks open with ``ac_input_voltage``. That reading is held back until the unit's next
  message says whose block it opened: ``ac_input_current`` (a key only PIRI has) means PIRI,
  and the held value is dropped; any other key releases it as a measurement (with that key's
  own readings). A lone opener stays held until the unit publishes again;
* ``ac_input_current`` or ``ac_output_current`` starts PIRI's *rating head*: until a key from
  outside that head arrives (PIRI's settings, or GS/MOD's keys), a shared key is a rating and
  is dropped;
* a shared key anywhere else is a measurement.

So a rating is never shown, not even for one message, and nothing is compared by value (a
grid really at 230.0 V is not mistaken for the 230.0 V rating). The guard does not depend on
the command order of the user's powermon configuration, nor on GS's other keys.

When a rating was dropped, PIRI's block is marked; once that unit's PIRI settings arrive
with no rating before them (the user added the filter), the unit is clean again. While any
unit collides, ``advice`` asks for powermon's own ``excl_filter`` on the PIRI command, which
stops the ratings (and the ``unknown_flags?`` key, whose ``?`` Home Assistant's MQTT
discovery refuses) from being published at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..transport.base import Decoded
from .base import DecodeResult, RepairAdvice

OPENER = "ac_input_voltage"
# Keys of PIRI's rating head that GS does not have: they tell PIRI's block from GS's.
RATING_MARKERS = frozenset({"ac_input_current", "ac_output_current"})
# The rest of PIRI's rating head: keys GS also publishes (its measurements).
SHARED_RATINGS = frozenset(
    {
        "ac_output_voltage",
        "ac_output_frequency",
        "ac_output_apparent_power",
        "ac_output_active_power",
        "battery_voltage",
    }
)
# PIRI's keys after the rating head (its settings), in powermon 1.0.18's spelling.
PIRI_SETTINGS = frozenset(
    {
        "battery_re-charge_voltage",
        "battery_re-discharge_voltage",
        "battery_under_voltage",
        "battery_bulk_charge_voltage",
        "battery_float_charge_voltage",
        "battery_type",
        "max_ac_charging_current",
        "max_charging_current",
        "input_voltage_range",
        "output_source_priority",
        "charger_source_priority",
        "max_parallel_units",
        "machine_type",
        "topology",
        "output_mode",
        "solar_power_priority",
        "mppt_strings",
        "unknown_flags?",
    }
)
# powermon's output-format option (a regular expression searched in each key): every key of
# PIRI's rating head starts with "ac_" or is "battery_voltage"; "unknown_flags?" goes too.
EXCL_FILTER = "^(ac_|battery_voltage$|unknown_flags)"
ISSUE_ID = "powermon_pi18_ratings"


@dataclass(slots=True)
class _Unit:
    """Where one unit's publication stands."""

    held: Decoded | None = None  # the opener's measurement, not yet known to be one
    confirmed: bool = False  # held, but already known to be a measurement
    rating_head: bool = False  # inside PIRI's rating head
    block_had_ratings: bool = False  # a rating was dropped since the block began

    def take(self) -> Decoded | None:
        held, self.held, self.confirmed = self.held, None, False
        return held


@dataclass(slots=True)
class RatingGuard:
    """Per-unit sequence tracking for one powermon installation; counts what it drops."""

    publisher: Callable[[int], str]  # unit -> its powermon entity_id_prefix, for the advice
    ratings_dropped: int = 0
    _units: dict[int, _Unit] = field(default_factory=dict)
    _colliding: set[int] = field(default_factory=set)
    _advice: RepairAdvice | None = None

    @property
    def advice(self) -> RepairAdvice | None:
        """The repair to suggest while a unit publishes ratings (one object until it changes)."""
        return self._advice

    def admit(self, unit: int, key: str, decoded: DecodeResult) -> DecodeResult:
        """The result for one message of ``unit`` with powermon key ``key`` (``decoded``)."""
        state = self._units.get(unit)
        if state is None:
            state = self._units[unit] = _Unit()
        if key == OPENER:
            released = state.take()
            state.rating_head = state.block_had_ratings = False
            if isinstance(decoded, Decoded):
                state.held = decoded
                return _emit(state, released, Decoded(()))
            return _emit(state, released, decoded)
        if key in RATING_MARKERS:
            state.rating_head = True
            if state.held is not None and not state.confirmed:
                state.held = None  # PIRI's opener: a rating
                self._dropped(unit, state)
            return _emit(state, state.take(), decoded)
        if key in SHARED_RATINGS and state.rating_head:
            self._dropped(unit, state)
            return _emit(state, state.take(), None)
        state.rating_head = False
        if key in PIRI_SETTINGS:
            if not state.block_had_ratings:
                self._clean(unit)
        else:
            state.block_had_ratings = False
        return _emit(state, state.take(), decoded)

    def _dropped(self, unit: int, state: _Unit) -> None:
        self.ratings_dropped += 1
        state.block_had_ratings = True
        if unit not in self._colliding:
            self._colliding.add(unit)
            self._refresh()

    def _clean(self, unit: int) -> None:
        if unit in self._colliding:
            self._colliding.discard(unit)
            self._refresh()

    def _refresh(self) -> None:
        if not self._colliding:
            self._advice = None
            return
        self._advice = RepairAdvice(
            issue_id=ISSUE_ID,
            placeholders={
                "excl_filter": EXCL_FILTER,
                "publishers": ", ".join(self.publisher(n) for n in sorted(self._colliding)),
            },
        )


def _emit(state: _Unit, released: Decoded | None, result: DecodeResult) -> DecodeResult:
    """This message's result, with a released measurement in front of it.

    A rejection cannot carry readings: it goes out alone and the measurement, already known
    to be one, follows with the unit's next message.
    """
    if released is None:
        return result
    if isinstance(result, Decoded):
        return Decoded(released.readings + result.readings)
    if result is None:
        return released
    state.held, state.confirmed = released, True
    return result
