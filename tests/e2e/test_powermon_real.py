"""Real powermon feeds the integration: two units, PI18 test port, a real mosquitto (issue 13).

powermon 1.0.18 runs from its own pinned Python 3.12 environment (``EG4_POWERMON_BIN``, built
and exported by ``scripts/test``) with the README's configuration for an LVX6048 pair, its port
swapped for powermon's PI18 test port and its broker for this test's mosquitto. Each process
polls twice (GS, PIRI, MOD, twice over) and exits. Every command also has a second output,
powermon's ``json`` format on a private topic: what powermon itself measured, the truth the
entities are compared with.

powermon has no LifePower4 protocol, so the bank comes from a separate publisher, as in a real
installation: the entry has one pack, whose topics the test publishes from the simulator's
pack readings (the BMS reader's keys).

Every state the entities powermon feeds take (the inverters' and the group's selects and
numbers) is recorded: none may take two values (nothing flaps). With powermon's default output
PIRI's ratings reach the measurements' topics on every poll: the test checks they never show
and that the repair issue names the README's ``excl_filter``; with that filter added the issue
clears. Removing the profile's rating guard makes the second test fail (every shared value
ends on its rating: battery 48.0 V, grid and output 230.0 V, output 5000 W).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.eg4.const import DOMAIN
from simulator import PowermonLvxFace, build_twin
from tests.integration.conftest import POWERMON_DATA

from .bridge import wait_for

README = Path(__file__).parents[2] / "README.md"
MARKER = "<!-- powermon-config:"
TRUTH = "eg4_e2e/powermon_truth"
SYNC = "eg4_e2e/powermon_sync"
UNITS = (1, 2)
POLLS = 2
RUN_TIMEOUT_S = 60.0  # powermon starts in ~4 s; the machines are shared

# eg4 sensor key -> the powermon key whose GS (or MOD) value it shows
MEASUREMENTS = {
    "battery_voltage": "battery_voltage",
    "battery_charge_current": "battery_charging_current",
    "battery_discharge_current": "battery_discharge_current",
    "battery_soc": "battery_capacity",
    "pv_power": "mppt1_input_power",
    "pv_voltage": "mppt1_input_voltage",
    "output_power": "ac_output_active_power",
    "output_load": "ac_output_load",
    "grid_voltage": "ac_input_voltage",
    "output_voltage": "ac_output_voltage",
}
# the words powermon's PI18 uses, as the user sees them in eg4
WORDS = {
    "line_power_direction": {"input": "input", "output": "output", "donothing": "idle"},
    "battery_power_direction": {"charge": "charge", "discharge": "discharge", "donothing": "idle"},
    "device_mode": {"Hybrid mode(Line mode, Grid mode)": "hybrid", "Battery mode": "battery"},
    "output_source_priority": {
        "Solar - Utility - Battery": "sub",
        "Solar - Battery - Utility": "sbu",
    },
    "charger_source_priority": {
        "Solar First": "solar_first",
        "Solar + Utility": "solar_and_utility",
        "Only solar charging permitted": "solar_only",
    },
}
ENUMS = {  # eg4 entity (unique-id suffix) -> powermon key
    "line_direction": "line_power_direction",
    "battery_direction": "battery_power_direction",
    "device_mode": "device_mode",
}
SETTINGS = {  # eg4 read-back sensor -> PIRI key
    "max_charge_current": "max_charging_current",
    "max_utility_charge_current": "max_ac_charging_current",
    "stop_charge_voltage": "battery_re-discharge_voltage",
    "recharge_voltage": "battery_re-charge_voltage",
    "bulk_voltage": "battery_bulk_charge_voltage",
    "float_voltage": "battery_float_charge_voltage",
}


def powermon_bin() -> str:
    """The real powermon, or a skip (a failure under CI) saying why it is missing."""
    path = os.environ.get("EG4_POWERMON_BIN", "")
    if path and os.access(path, os.X_OK):
        return path
    reason = (
        f"EG4_POWERMON_BIN={path!r} is not an executable powermon"
        if path
        else "EG4_POWERMON_BIN is not set: scripts/test builds powermon's venv and exports it"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the real-powermon test must run)")
    pytest.skip(reason)


def readme_config() -> dict[str, Any]:
    """The README's tested powermon file (unit 1)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(MARKER)
    block = re.search(r"```yaml\n(.*?)```", text[start:], re.DOTALL)
    assert block is not None, "the README's powermon configuration block is missing"
    config = yaml.safe_load(block.group(1))
    assert isinstance(config, dict)
    return config


def piri_excl_filter(config: dict[str, Any]) -> str | None:
    for command in config["commands"]:
        if command["command"] == "PIRI":
            filters = {out["format"].get("excl_filter") for out in command["outputs"]}
            assert len(filters) == 1
            return filters.pop()
    raise AssertionError("no PIRI command")


def unit_config(
    template: dict[str, Any], unit: int, broker: int, *, with_excl_filter: bool
) -> dict[str, Any]:
    """Unit ``unit``'s file as the README says to derive it, on the test port and broker."""
    text = json.dumps(template).replace("lvx6048_1", f"lvx6048_{unit}")
    config: dict[str, Any] = json.loads(text)
    config["device"]["serial_number"] = unit
    config["device"]["port"] = {"type": "test", "protocol": "PI18", "response_number": 1}
    config["mqttbroker"] = {"name": "127.0.0.1", "port": broker}
    config.pop("loop", None)  # run with --once: one pass over the (doubled) commands
    commands = []
    for command in config["commands"]:
        outputs = list(command["outputs"])
        if not with_excl_filter:
            for out in outputs:
                out["format"].pop("excl_filter", None)
        outputs.append({"type": "mqtt", "topic": f"{TRUTH}/{unit}", "format": {"type": "json"}})
        commands.append({**command, "outputs": outputs})
    config["commands"] = commands * POLLS
    return config


@dataclass
class Truth:
    """What powermon measured, per unit: GS's and MOD's readings, PIRI's settings."""

    readings: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def polls_done(self, unit: int) -> int:
        return sum(1 for r in self.readings.get(unit, []) if r["data_name"] == "device_mode")

    def first(self, unit: int, key: str) -> Any:
        """GS's value (GS comes first in each poll; PIRI re-uses some of its keys)."""
        return next(r["data_value"] for r in self.readings[unit] if r["data_name"] == key)

    def values(self, unit: int, key: str) -> set[Any]:
        return {r["data_value"] for r in self.readings[unit] if r["data_name"] == key}


@dataclass
class Run:
    """The entry on the broker, the truth and every state eg4's entities took."""

    hass: HomeAssistant
    entry: MockConfigEntry
    truth: Truth
    history: dict[str, list[str]]
    # every payload powermon's hass output put on each unit's battery_voltage topic
    battery_topic: dict[int, list[str]]

    def state(self, suffix: str) -> str:
        """The state of the entity whose unique id is ``<entry_id>_<suffix>``."""
        unique_id = f"{self.entry.entry_id}_{suffix}"
        (entity_id,) = (
            reg.entity_id
            for reg in er.async_entries_for_config_entry(
                er.async_get(self.hass), self.entry.entry_id
            )
            if reg.unique_id == unique_id
        )
        state = self.hass.states.get(entity_id)
        assert state is not None, entity_id
        return state.state

    def issue(self) -> ir.IssueEntry | None:
        issue_id = f"powermon_pi18_ratings_{self.entry.entry_id}"
        return ir.async_get(self.hass).async_get_issue(DOMAIN, issue_id)


async def setup_entry(hass: HomeAssistant) -> MockConfigEntry:
    """The eg4 entry for the pair: the defaults, and one pack."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data={**POWERMON_DATA, "pack_count": 1},
        unique_id="e2e:powermon_real",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def run_powermon(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    binary: str,
    broker: int,
    workdir: Path,
    *,
    with_excl_filter: bool,
) -> Run:
    """Start both powermon processes, return once the entry has handled everything."""
    history: dict[str, list[str]] = {}
    # The entities powermon feeds: the inverters' and the group's settings (the pack's and the
    # bank's come from the test's own publisher, and its highest temperature rises as each
    # probe reports).
    ours = {
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if "_inverter_" in e.unique_id or e.domain in ("select", "number")
    }

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.entity_id in ours:
            history.setdefault(new.entity_id, []).append(new.state)

    truth = Truth()
    battery_topic: dict[int, list[str]] = {}

    @callback
    def on_truth(msg: mqtt.ReceiveMessage) -> None:
        unit = int(msg.topic.rsplit("/", 1)[1])
        truth.readings.setdefault(unit, []).append(json.loads(msg.payload))

    @callback
    def on_state(msg: mqtt.ReceiveMessage) -> None:
        for unit in UNITS:
            if msg.topic == f"homeassistant/sensor/lvx6048_{unit}_battery_voltage/state":
                battery_topic.setdefault(unit, []).append(str(msg.payload))

    unsubscribe = [
        hass.bus.async_listen(EVENT_STATE_CHANGED, record),
        await mqtt.async_subscribe(hass, f"{TRUTH}/+", on_truth),
        await mqtt.async_subscribe(hass, "homeassistant/sensor/+/state", on_state),
    ]
    await subscriptions_live(hass, unsubscribe)
    template = readme_config()
    processes = []
    for unit in UNITS:
        path = workdir / f"powermon_lvx6048_{unit}.yaml"
        config = unit_config(template, unit, broker, with_excl_filter=with_excl_filter)
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        log = (workdir / f"powermon_{unit}.log").open("wb")
        processes.append(
            (
                await asyncio.create_subprocess_exec(
                    binary, "--configFile", str(path), "--once", stdout=log, stderr=log
                ),
                log,
                workdir / f"powermon_{unit}.log",
            )
        )
    try:
        for process, _, log_path in processes:
            async with asyncio.timeout(RUN_TIMEOUT_S):
                code = await process.wait()
            assert code == 0, f"powermon exited with {code}: {log_path.read_text()[-2000:]}"
        # powermon waited for each publish; MOD's truth is each poll's last message, and one
        # client's messages reach Home Assistant (and eg4's subscription) in order.
        await wait_for(
            lambda: all(truth.polls_done(unit) == POLLS for unit in UNITS),
            RUN_TIMEOUT_S,
            "both units' last poll",
        )
        # The separate BMS reader: the one pack's LifePower4 topics, published once.
        twin = build_twin("drifted", inverters=2, packs=1, seed=0)
        pack = dict(PowermonLvxFace.pack_readings(twin.packs[0]))
        pack["protection"] = pack.pop("protection")  # published last: it says the rest is in
        for key, payload in pack.items():
            await mqtt.async_publish(
                hass, f"homeassistant/sensor/lifepower4_1_{key}/state", payload
            )
        # The last message published is the protection flag; the ones before it are in.
        pack_ids = {
            e.unique_id.rsplit("_pack_1_", 1)[1]: e.entity_id
            for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
            if "_pack_1_" in e.unique_id
        }
        assert list(pack)[-1] == "protection"
        await wait_for(
            lambda: _state(hass, pack_ids["protection"]) == "off"
            and _number(_state(hass, pack_ids["voltage"])) == float(pack["pack_voltage"]),
            RUN_TIMEOUT_S,
            "the pack's readings",
        )
        await hass.async_block_till_done()
    finally:
        for process, log, _ in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
            log.close()
        for undo in unsubscribe:
            undo()
    return Run(hass=hass, entry=entry, truth=truth, history=history, battery_topic=battery_topic)


async def subscriptions_live(hass: HomeAssistant, unsubscribe: list[CALLBACK_TYPE]) -> None:
    """Return once every subscription so far is active on the broker.

    Home Assistant sends subscriptions in batches (wildcards first, then plain topics): once a
    plain topic subscribed last answers, the earlier ones (the integration's too) are live.
    """
    seen: list[str] = []

    @callback
    def on_sync(msg: mqtt.ReceiveMessage) -> None:
        seen.append(msg.topic)

    unsubscribe.append(await mqtt.async_subscribe(hass, SYNC, on_sync))
    deadline = asyncio.get_running_loop().time() + RUN_TIMEOUT_S
    while not seen:
        await mqtt.async_publish(hass, SYNC, "ping")
        try:
            await wait_for(lambda: bool(seen), 0.1)
        except AssertionError:
            assert asyncio.get_running_loop().time() < deadline, "subscriptions never went live"


@pytest.fixture
def powermon() -> str:
    """The real powermon (resolved before the broker and Home Assistant start)."""
    return powermon_bin()


@pytest.fixture
async def unload(hass: HomeAssistant) -> AsyncIterator[None]:
    """Unload every eg4 entry while the broker still runs."""
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def assert_shows_what_powermon_measured(run: Run) -> None:
    truth = run.truth
    mismatches = []
    for unit in UNITS:
        for key, powermon_key in MEASUREMENTS.items():
            shown = float(run.state(f"inverter_{unit}_{key}"))
            measured = float(truth.first(unit, powermon_key))
            if shown != measured:
                mismatches.append(f"unit {unit} {key}: eg4 {shown}, powermon GS {measured}")
        for key, powermon_key in ENUMS.items():
            shown_word = run.state(f"inverter_{unit}_{key}")
            expected = WORDS[powermon_key][truth.first(unit, powermon_key)]
            if shown_word != expected:
                mismatches.append(f"unit {unit} {key}: eg4 {shown_word}, powermon {expected}")
        for key, piri_key in SETTINGS.items():
            (setting,) = truth.values(unit, piri_key)  # PIRI reports one value per key
            shown = float(run.state(f"inverter_{unit}_{key}"))
            if shown != float(setting):
                mismatches.append(f"unit {unit} {key}: eg4 {shown}, powermon PIRI {setting}")
    assert not mismatches, "\n".join(mismatches)

    # The group's selects and numbers show PIRI's settings (both units agree).
    (output,) = {truth.first(unit, "output_source_priority") for unit in UNITS}
    (charger,) = {truth.first(unit, "charger_source_priority") for unit in UNITS}
    assert run.state("system_output_priority") == WORDS["output_source_priority"][output]
    assert run.state("system_charger_priority") == WORDS["charger_source_priority"][charger]
    for key, piri_key in list(SETTINGS.items())[:3]:
        (setting,) = {truth.first(unit, piri_key) for unit in UNITS}
        assert float(run.state(f"system_{key}")) == float(setting), key
    assert float(run.state("pack_1_voltage")) > 0  # the bank, from the separate publisher


def assert_nothing_flapped(run: Run) -> None:
    """Each entity powermon feeds took one value, and kept it.

    The energies integrated from its powers grow as time passes: that is not flapping.
    """
    assert len(run.history) > 2 * len(MEASUREMENTS), run.history
    flapped = {
        entity_id: states
        for entity_id, states in run.history.items()
        if len({s for s in states if s not in (STATE_UNKNOWN, STATE_UNAVAILABLE)}) > 1
        and not entity_id.endswith("_energy")
    }
    assert not flapped, flapped


@pytest.mark.usefixtures("unload")
async def test_readme_configuration_feeds_every_value(
    powermon: str,
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: int,
    tmp_path: Path,
) -> None:
    """The README's files for the pair: eg4 shows what powermon measured, and no repair."""
    run = await run_powermon(
        hass, await setup_entry(hass), powermon, broker, tmp_path, with_excl_filter=True
    )
    for unit in UNITS:
        # PIRI does report the rating (the truth output is unfiltered) ...
        assert len(run.truth.values(unit, "battery_voltage")) == 2
        # ... and the filter keeps it off the topic: only GS's measurement, once per poll
        assert run.battery_topic[unit] == [str(run.truth.first(unit, "battery_voltage"))] * POLLS
    assert_shows_what_powermon_measured(run)
    assert_nothing_flapped(run)
    assert run.issue() is None


@pytest.mark.usefixtures("unload")
async def test_without_the_excl_filter_ratings_never_show_and_a_repair_names_it(
    powermon: str,
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: int,
    tmp_path: Path,
) -> None:
    """powermon's default output: PIRI's ratings arrive on GS's topics every poll."""
    run = await run_powermon(
        hass, await setup_entry(hass), powermon, broker, tmp_path, with_excl_filter=False
    )
    for unit in UNITS:  # the topic alternates between the measurement and the rating
        measured, rated = run.truth.first(unit, "battery_voltage"), 48.0
        assert run.battery_topic[unit] == [str(measured), str(rated)] * POLLS
    assert_shows_what_powermon_measured(run)
    assert_nothing_flapped(run)
    issue = run.issue()
    assert issue is not None
    assert issue.translation_key == "powermon_pi18_ratings"
    assert issue.translation_placeholders == {
        "excl_filter": piri_excl_filter(readme_config()),
        "publishers": "lvx6048_1, lvx6048_2",
    }
    # The user adds the filter the issue names: the next poll clears it, and nothing the user
    # sees changes.
    before = {entity_id: _state(hass, entity_id) for entity_id in run.history}
    fixed = await run_powermon(hass, run.entry, powermon, broker, tmp_path, with_excl_filter=True)
    assert fixed.issue() is None
    assert {entity_id: _state(hass, entity_id) for entity_id in run.history} == before
    assert all(set(states) == {before[e]} for e, states in fixed.history.items()), fixed.history
    # And an unloaded entry leaves no issue behind.
    await run_powermon(hass, run.entry, powermon, broker, tmp_path, with_excl_filter=False)
    assert run.issue() is not None
    assert await hass.config_entries.async_unload(run.entry.entry_id)
    await hass.async_block_till_done()
    assert run.issue() is None
