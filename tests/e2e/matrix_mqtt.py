"""What the MQTT fault matrix (``test_fault_matrix``) draws: its steps and explicit scripts.

The steps name the bridges' topics and the twin's levers; the explicit scripts, one per
defect found so far, always run.
"""

from __future__ import annotations

from hypothesis import strategies as st

from simulator import ChargerPriority, OutputPriority, Setting

from .matrix import Op
from .system import PROFILES, ProfileSpec
from .test_charge_to_lxp_bridge import LXP

LEVERS = ["charger_priority", "output_priority", "max_charge_current"]
EVERYDAY_VALUES = {
    Setting.OUTPUT_PRIORITY: OutputPriority.SBU,
    Setting.CHARGER_PRIORITY: ChargerPriority.SOLAR_FIRST,
}
# A charge to a target the drifted twins (about 60 %) can reach: 90 % within eight hours.
CHARGE_TO = {"target_soc": 90, "hours": 8.0}
GARBAGE = ["", "nan", "1e999", "9" * 400, "-inf", "{}", "Solar - Utility - Battery" * 40]
MATRIX: dict[str, ProfileSpec] = {**PROFILES, LXP.name: LXP}
# Where each PI bridge publishes pack 2's highest cell (a breach) and a setting read-back;
# lxp-bridge reports the bank's highest cell in each unit's inputs/all (see ``Case.breach``).
BREACH = {
    "powermon_lvx": "homeassistant/sensor/lifepower4_2_cell_voltage_max/state",
    "solar_assistant": "solar_assistant/battery_2/cell_voltage_-_highest/state",
}
LXP_INPUTS = "lxp/BA12345678/inputs/all"
GARBAGE_TOPICS = {
    "powermon_lvx": [
        BREACH["powermon_lvx"],
        "homeassistant/sensor/lvx6048_1_output_source_priority/state",
        "homeassistant/sensor/lifepower4_3_soc/state",
    ],
    "solar_assistant": [
        BREACH["solar_assistant"],
        "solar_assistant/inverter_1/output_source_priority/state",
        "solar_assistant/set/response_message/state",
    ],
    "lxp_bridge": [LXP_INPUTS, "lxp/BA12345678/hold/21", "lxp/BA87654321/hold/67"],
}

OPS = st.one_of(
    st.tuples(st.just("advance"), st.sampled_from([5, 30, 60, 120])),
    st.tuples(st.just("start"), st.none()),
    st.tuples(st.just("charge"), st.none()),
    st.tuples(st.just("discharge"), st.sampled_from([30, 240])),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(
        st.just("late_lever"), st.tuples(st.sampled_from(LEVERS), st.sampled_from([30, 90, 240]))
    ),
    st.tuples(st.just("refuse"), st.sampled_from([*LEVERS, None])),  # None: any command
    st.tuples(st.just("breach"), st.none()),
    st.tuples(st.just("garbage"), st.tuples(st.integers(0, 2), st.sampled_from(GARBAGE))),
    st.tuples(st.just("reload"), st.none()),
    st.tuples(st.just("disable"), st.none()),
    st.tuples(st.just("restart"), st.none()),
    st.tuples(st.just("transport_raises"), st.integers(1, 4)),
    st.tuples(st.just("store_fails"), st.integers(1, 3)),
    st.tuples(st.just("silence"), st.sampled_from([60, 300])),
    st.tuples(st.just("panel"), st.sampled_from(LEVERS)),
)

# One script per defect of issue 11, always run.
DEFECT_SCRIPTS: list[list[Op]] = [
    # 1. a lever applied after its confirmation timed out
    [("late_lever", ("charger_priority", 90)), ("start", None), *[("advance", 30)] * 8],
    # 2. an unload (and a disable) mid-run
    [("start", None), *[("advance", 120)] * 4, ("reload", None)],
    [("start", None), *[("advance", 120)] * 4, ("disable", None)],
    # 3. an exception inside the revert
    [("start", None), *[("advance", 120)] * 4, ("transport_raises", 4), ("cancel", None)],
    # 4. a breach while a lever waits for its read-back
    [("late_lever", ("charger_priority", 240)), ("start", None), ("advance", 5), ("breach", None)],
    # 5. Home Assistant stopping during the engage
    [("late_lever", ("charger_priority", 30)), ("start", None), ("advance", 5), ("restart", None)],
    # and: a failing store at the start, garbage during a run
    [("store_fails", 2), ("start", None), ("advance", 60), ("start", None), ("advance", 120)],
    [("start", None), ("advance", 60), ("garbage", (0, "1e999")), ("garbage", (1, "nan"))],
    # the owner puts a lever back at the inverters' panel mid-run (and while it reverts)
    [("start", None), *[("advance", 120)] * 4, ("panel", "output_priority"), ("advance", 60)],
    [("start", None), ("advance", 5), ("panel", "charger_priority"), *[("advance", 60)] * 12],
    [("start", None), *[("advance", 120)] * 4, ("cancel", None), ("panel", "output_priority")],
    # the same faults during a charge to a target (its levers include the charge currents)
    [("late_lever", ("max_charge_current", 90)), ("charge", None), *[("advance", 30)] * 8],
    [("charge", None), *[("advance", 120)] * 4, ("reload", None)],
    [("charge", None), *[("advance", 120)] * 4, ("transport_raises", 4), ("cancel", None)],
    [
        ("late_lever", ("max_charge_current", 240)),
        ("charge", None),
        ("advance", 5),
        ("breach", None),
    ],
    [("late_lever", ("output_priority", 30)), ("charge", None), ("advance", 5), ("restart", None)],
    [("charge", None), *[("advance", 120)] * 4, ("panel", "max_charge_current"), ("advance", 60)],
    [("charge", None), ("advance", 60), ("start", None), ("cancel", None), ("charge", None)],
    # a second run ends while the first one's late lever is on its way (it used to replace
    # the first one's late-lever watch: the lever landed unwatched)
    [
        ("late_lever", ("max_charge_current", 900)),
        ("charge", None),
        *[("advance", 60)] * 6,
        ("start", None),
        ("advance", 5),
        ("cancel", None),
        *[("advance", 60)] * 10,
    ],
    # ... and during a forced discharge (lxp-bridge; refused in words on the PI family)
    [("discharge", 240), *[("advance", 120)] * 4, ("reload", None)],
    [("discharge", 30), *[("advance", 120)] * 4, ("transport_raises", 4), ("cancel", None)],
    [("discharge", 240), ("advance", 5), ("breach", None), ("refuse", None), ("advance", 60)],
    [("discharge", 240), ("advance", 5), ("restart", None), ("discharge", 30)],
    [("refuse", None), ("discharge", 240), *[("advance", 60)] * 3, ("disable", None)],
    # found by the long profile: a repair issue left standing after everything was restored
    [
        ("start", None),
        ("refuse", "charger_priority"),
        ("store_fails", 3),
        ("silence", 60),
        ("disable", None),
        ("transport_raises", 4),
    ],
    [
        ("reload", None),
        ("transport_raises", 1),
        ("late_lever", ("output_priority", 90)),
        ("cancel", None),
        ("start", None),
        ("reload", None),
        ("start", None),
        ("transport_raises", 1),
        ("reload", None),
    ],
]
