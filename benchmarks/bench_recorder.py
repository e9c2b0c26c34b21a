"""Issue 16: recorder rows and UI freshness over an hour of telemetry, with the real recorder.

One Home Assistant with its real recorder (SQLite in a temporary file, the default commit
interval of 5 s), the same stream as the ingest benchmark (2 inverters x 22 + 6 packs x 11
topics per simulated second, PowermonLvxFace) delivered once per simulated second to both
(a) the eg4 entry, with its default options, and (b) Home Assistant's MQTT sensors created by
discovery for the same topics (the configs of ``bench_ingest``), which subscribe side by
side. Simulated time moves with the twin: before each round the clock is frozen one second
later (``freezer.tick``) and the timers due by then run (``async_fire_time_changed``), so
every interval the integration waits for passes as it would in production.

Recorder rows: the rows each side adds to the ``states`` table during the hour (after the
first values), read back with SQL once ``async_wait_recording_done`` has committed everything.

UI freshness: after each round, every eg4 entity's state in the state machine (what a
dashboard shows) is compared with the state the entity would write from what the integration
holds at that moment (the bridge's latest values: the coordinator decodes every message at
once). When they differ, the lag is how long the value shown has been off the bridge's: the
time since the bridge's value was last close to it. The figure is the longest such lag in
simulated seconds, over every entity and the whole hour. "Close" is read twice
(``Freshness``): within the entity's significance step (the headline: the changes the
integration promises to show within its interval) and equal at display precision.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.helpers.recorder import session_scope
from pytest_homeassistant_custom_component.common import (
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    RecorderInstanceContextManager,
)
from sqlalchemy import text

from custom_components.eg4.const import DOMAIN

from .bench_ingest import discovery_config
from .harness import (
    Measurement,
    banner,
    build_stream,
    deliver,
    entity_interval,
    env_int,
    forget_mock_calls,
    powermon_entry,
    report,
    setup_entry,
)

TARGET_ROW_SHARE = 0.25
HISTORY_S = 900  # seconds of the bridge's values kept per entity for the lag
STEP_EPSILON = 1e-9
ROWS_SQL = text(
    "SELECT states_meta.entity_id, COUNT(*) FROM states "
    "JOIN states_meta ON states.metadata_id = states_meta.metadata_id "
    "GROUP BY states_meta.entity_id"
)


@pytest.fixture
def persistent_database() -> bool:
    """SQLite in a temporary file, as a real installation keeps it (not in memory)."""
    return True


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: RecorderInstanceContextManager) -> None:
    """Prepare the recorder's database before ``hass`` (an autouse fixture asks for it)."""


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """The recorder's production commit interval (the test harness commits every event)."""
    return {"commit_interval": 5}


def _rows_by_entity(hass: HomeAssistant) -> dict[str, int]:
    with session_scope(hass=hass, read_only=True) as session:
        return {str(entity_id): int(count) for entity_id, count in session.execute(ROWS_SQL)}


async def rows_by_entity(hass: HomeAssistant, recorder: Recorder) -> dict[str, int]:
    """Rows in the ``states`` table per entity id, once everything is committed."""
    await async_wait_recording_done(hass)
    return await recorder.async_add_executor_job(_rows_by_entity, hass)


def _shown(value: str, precision: int | None) -> str:
    """A state as a dashboard shows it: a number rounded to the display precision."""
    if precision is None:
        return value
    try:
        return f"{float(value):.{precision}f}"
    except ValueError:
        return value


def _moved(shown: str, due: str, step: float) -> bool:
    """True when two states differ by at least ``step`` (texts: when they differ at all)."""
    try:
        return abs(float(shown) - float(due)) >= step - STEP_EPSILON
    except ValueError:
        return shown != due


@dataclass
class Lag:
    """How long each entity's shown value has been off the bridge's, whenever it is off.

    ``history`` keeps, per entity, the bridge's value of each recent second; when the shown
    value is off the bridge's current one, the lag is the time since the bridge's value was
    last not off it (``close``: within the entity's step, or equal as shown), or since the
    oldest second kept when it never was.
    """

    close: Callable[[str, str, Entity], bool]
    history: dict[str, deque[tuple[float, str]]] = field(default_factory=dict)
    worst: dict[str, float] = field(default_factory=dict)
    late: int = 0  # entity-seconds late

    def observe(self, entity: Entity, entity_id: str, shown: str, due: str, now: float) -> None:
        """The entity shows ``shown`` at ``now`` while the bridge's value is ``due``."""
        history = self.history.setdefault(entity_id, deque(maxlen=HISTORY_S))
        history.append((now, due))
        if self.close(shown, due, entity):
            return
        self.late += 1
        since = history[0][0]
        for at, value in reversed(history):
            if self.close(shown, value, entity):
                since = at
                break
        lag = now - since
        if lag > self.worst.get(entity_id, 0.0):
            self.worst[entity_id] = lag

    @property
    def longest_lag(self) -> float:
        """The longest an entity's shown value has been off the bridge's."""
        return max(self.worst.values(), default=0.0)

    def longest(self, count: int = 5) -> str:
        """The entities with the longest lags."""
        top = sorted(self.worst.items(), key=lambda item: -item[1])[:count]
        return ", ".join(f"{entity_id} {lag:.0f} s" for entity_id, lag in top if lag) or "none"


def _precision(entity: Entity) -> int | None:
    return entity.suggested_display_precision if isinstance(entity, SensorEntity) else None


def within_step(shown: str, due: str, entity: Entity) -> bool:
    """Not off by the entity's significance step (or, without one, equal as shown)."""
    step = getattr(entity, "coalesce_step", None)
    if step:
        return not _moved(shown, due, step)
    precision = _precision(entity)
    return _shown(shown, precision) == _shown(due, precision)


def same_shown(shown: str, due: str, entity: Entity) -> bool:
    """Equal at the entity's display precision."""
    precision = _precision(entity)
    return _shown(shown, precision) == _shown(due, precision)


@dataclass
class Freshness:
    """How far each eg4 entity's shown state lags the state it would write now.

    Every check compares the state in the state machine with the one the entity would write
    from what the coordinator holds (the bridge's latest values). Two readings of "differ":
    ``significant``, by at least the entity's own significance step (``coalesce_step``: a
    whole percent of SoC, half a degree, one unit of the display precision), the changes the
    integration promises to show within its interval; and ``display``, by anything a
    dashboard would show differently at the display precision (a change smaller than the
    step can still flip the last digit shown).
    """

    hass: HomeAssistant
    entities: dict[str, Entity]
    significant: Lag = field(default_factory=lambda: Lag(within_step))
    display: Lag = field(default_factory=lambda: Lag(same_shown))
    checks: int = 0

    @classmethod
    def of_entry(cls, hass: HomeAssistant, entry_id: str) -> Freshness:
        """Every entity of the entry, as its platforms hold them."""
        ours = {
            e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        }
        entities = {
            entity_id: entity
            for platform in async_get_platforms(hass, DOMAIN)
            for entity_id, entity in platform.entities.items()
            if entity_id in ours
        }
        assert entities, "the eg4 entry has no entities"
        return cls(hass, entities)

    def check(self, now: float) -> None:
        """Compare every entity at simulated time ``now``."""
        self.checks += 1
        states = self.hass.states
        for entity_id, entity in self.entities.items():
            state = states.get(entity_id)
            shown = state.state if state is not None else ""
            due = entity._stringify_state(entity.available)  # noqa: SLF001
            self.significant.observe(entity, entity_id, shown, due, now)
            self.display.observe(entity, entity_id, shown, due, now)

    @property
    def entity_seconds(self) -> int:
        """Entities times checks."""
        return max(1, self.checks * len(self.entities))


@dataclass
class Sides:
    """The entity ids of each side."""

    eg4: set[str]
    mqtt: set[str]

    def rows(self, by_entity: dict[str, int]) -> tuple[int, int]:
        """(eg4 rows, MQTT sensors' rows)."""
        return (
            sum(n for e, n in by_entity.items() if e in self.eg4),
            sum(n for e, n in by_entity.items() if e in self.mqtt),
        )


async def test_recorder_rows_and_freshness(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Rows per side in the states table over the hour; the longest a dashboard value lags."""
    seconds = env_int("EG4_BENCH_RECORDER_ROUNDS", 3600)
    banner("Recorder rows and UI freshness: eg4 vs Home Assistant MQTT sensors (issue 16)")
    stream = build_stream(inverters=2, packs=6, seconds=seconds)
    entry = powermon_entry(tag="recorder")
    await setup_entry(hass, entry)
    interval = entity_interval(entry)
    for topic in stream.topics:
        async_fire_mqtt_message(hass, *discovery_config(topic))
    await hass.async_block_till_done()
    forget_mock_calls(hass)
    registry = er.async_get(hass)
    sides = Sides(
        eg4={e.entity_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)},
        mqtt={e.entity_id for e in registry.entities.values() if e.platform == "mqtt"},
    )
    assert len(sides.mqtt) == len(stream.topics), "discovery did not create every sensor"
    print(
        f"stream: {len(stream.topics)} topics x {seconds} simulated seconds, delivered direct to "
        f"both sides at once; eg4 {len(sides.eg4)} entities (entity interval "
        f"{interval if interval is not None else 'none'} s), HA MQTT sensors {len(sides.mqtt)}"
    )

    now = 0.0
    await deliver(hass, stream.topics, stream.rounds[:1], direct=True)
    freshness = Freshness.of_entry(hass, entry.entry_id)
    freshness.check(now)
    before = sides.rows(await rows_by_entity(hass, recorder_mock))
    measurement = Measurement()
    for payloads in stream.measured:
        freezer.tick(1.0)
        now += 1.0
        async_fire_time_changed(hass)
        await deliver(hass, stream.topics, (payloads,), direct=True)
        freshness.check(now)
    # One more interval without news: a coalesced value still pending lands now at the latest.
    for _ in range(int(interval or 0) + 1):
        freezer.tick(1.0)
        now += 1.0
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        freshness.check(now)
    after = sides.rows(await rows_by_entity(hass, recorder_mock))
    measurement.stop()

    eg4_rows, mqtt_rows = (a - b for a, b in zip(after, before, strict=True))
    share = eg4_rows / mqtt_rows if mqtt_rows else float("inf")
    worst = freshness.significant.longest_lag
    display_worst = freshness.display.longest_lag
    print(
        f"rows in states during the hour: eg4 {eg4_rows} ({eg4_rows / seconds * 3600:,.0f}/h), "
        f"HA MQTT sensors {mqtt_rows}; eg4 = {share:.1%} of HA's; first values before the hour: "
        f"eg4 {before[0]}, HA {before[1]}"
    )
    for name, lag, longest in (
        ("by a significant step", freshness.significant, worst),
        ("at display precision", freshness.display, display_worst),
    ):
        print(
            f"freshness {name}: longest lag {longest:.0f} s; {lag.late} late entity-seconds "
            f"of {freshness.entity_seconds}; longest: {lag.longest()}"
        )
    run = f"{seconds} of 3600 simulated s" if seconds < 3600 else "full hour"
    report(
        "recorder rows",
        f"eg4 {eg4_rows} rows ({len(sides.eg4)} entities); HA MQTT sensors {mqtt_rows} rows "
        f"({len(sides.mqtt)} sensors); eg4 = {share:.1%} of HA's",
        f"<= {TARGET_ROW_SHARE:.0%} of HA's",
        met=share <= TARGET_ROW_SHARE,
        measurement=measurement,
        run=f"{run}, SQLite file, commit interval 5 s, entity interval {interval} s",
    )
    bound = float(interval or 0)
    report(
        "UI freshness",
        f"longest a dashboard value lags the bridge by a significant step: {worst:.0f} s "
        f"(simulated; {freshness.significant.late / freshness.entity_seconds:.2%} of "
        f"entity-seconds); by anything shown at display precision: {display_worst:.0f} s "
        f"({freshness.display.late / freshness.entity_seconds:.2%})",
        f"<= the entity interval ({bound:g} s)",
        met=worst <= bound,
        measurement=measurement,
        run=f"{run}, {len(freshness.entities)} entities checked every simulated second",
    )
    assert share <= TARGET_ROW_SHARE, f"eg4 writes {share:.1%} of HA's rows"
    assert worst <= bound, f"a dashboard value lagged {worst:.0f} s (interval {bound:g} s)"
