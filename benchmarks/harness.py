"""What every benchmark shares: settings, the machine, the load, the stream and the record.

Settings come from the environment (``scripts/bench`` sets them):

* ``EG4_BENCH_INGEST_ROUNDS``: simulated seconds of the ingest stream (default 3600);
* ``EG4_BENCH_MEMORY_ROUNDS``: simulated seconds of ingest in the memory benchmark (3600);
* ``EG4_BENCH_RECORDER_ROUNDS``: simulated seconds recorded in the recorder benchmark (3600);
* ``EG4_BENCH_SCALE_ROUNDS``, ``EG4_BENCH_SCALE_SETTLE``: simulated seconds of ingest timed
  per bank in the scale benchmark (600), after the seconds before its memory sample (60);
* ``EG4_BENCH_SAFETY_TRIALS``: breach trials (200);
* ``EG4_BENCH_CLOUD_REFRESHES``: steady-state cloud refreshes timed (20);
* ``EG4_BENCH_RECORD``: ``0`` keeps ``benchmarks/RESULTS.md`` untouched (default ``1``).
"""

from __future__ import annotations

import functools
import math
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeassistant.const import __version__ as HA_VERSION  # noqa: N812
from homeassistant.core import HomeAssistant
from paho.mqtt.client import MQTTMessage
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message

from custom_components.eg4.const import (
    CONF_BATTERY_PREFIX,
    CONF_CMD_MAX_CHARGE_CURRENT,
    CONF_CMD_MAX_UTILITY_CHARGE_CURRENT,
    CONF_CMD_STOP_CHARGE_VOLTAGE,
    CONF_COMMAND_TOPIC_PREFIX,
    CONF_INVERTER_COUNT,
    CONF_INVERTER_PREFIX,
    CONF_PACK_COUNT,
    CONF_PROFILE,
    CONF_STATE_TOPIC_PREFIX,
    CONF_TRANSPORT,
    DOMAIN,
)
from simulator import PowermonLvxFace, TwinConfig, build_twin

from .simclock import SimClock

RESULTS = Path(__file__).parent / "RESULTS.md"
HEADER = (
    "| Date (UTC) | Benchmark | Figure | Target | Met | Load 1/5/15 min (start → end) "
    "| Machine | Python / HA | Code | Run |\n"
    "|---|---|---|---|---|---|---|---|---|---|\n"
)
PREAMBLE = (
    "# Benchmark results\n\n"
    "Rows are appended by `scripts/bench` (see `benchmarks/README.md`): one row per figure, "
    "with its target, the machine and `/proc/loadavg` at the start and the end of that "
    "measurement (these machines are shared: read a figure together with its load). Code is "
    "the commit checked out when the run started, and whether the integration or the "
    "simulator had uncommitted changes then.\n\n"
)

# The recorded shape of a powermon + lvx-control installation: daytime, a noisy house load,
# so power and current readings move from one second to the next while settings do not.
STREAM_CONFIG = TwinConfig(start_hour=10.0, load_noise_w=150.0)


def env_int(name: str, default: int) -> int:
    """A positive integer setting from the environment."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def recording() -> bool:
    """False when EG4_BENCH_RECORD=0: print the figures, leave RESULTS.md alone."""
    return os.environ.get("EG4_BENCH_RECORD", "1").strip() != "0"


# ---- the machine and its load ---------------------------------------------------------------


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """CPU model and core count."""
    return f"{cpu_model()}, {os.cpu_count()} cores"


def versions() -> str:
    """Python and Home Assistant versions."""
    return f"Python {platform.python_version()} / HA {HA_VERSION}"


@functools.cache
def code_version() -> str:
    """The commit measured, and whether the integration or simulator had uncommitted changes.

    Read once, when the benchmarks start (when the integration's modules are imported): the
    repository may move on while they run, the imported code does not.
    """
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "custom_components", "simulator"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes" if dirty else head


code_version()


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


@dataclass
class Measurement:
    """Load at the start and the end of one measurement."""

    start: str = field(default_factory=loadavg)
    end: str = ""

    def stop(self) -> None:
        """Read the load at the end."""
        self.end = loadavg()

    @property
    def load(self) -> str:
        """``start → end``."""
        return f"{self.start} → {self.end or loadavg()}"


# ---- reporting --------------------------------------------------------------------------------


def banner(title: str) -> None:
    """Print a benchmark's heading with the machine it runs on."""
    print(f"\n=== {title} ===")
    print(f"machine: {machine()}; {versions()}; code {code_version()}")


def report(
    benchmark: str,
    figure: str,
    target: str,
    *,
    met: bool | None,
    measurement: Measurement,
    run: str,
) -> None:
    """Print one figure with its target and load, and append it to RESULTS.md.

    ``met=None``: a figure kept for the record, with no target to meet (``n/a``).
    """
    verdict = "n/a" if met is None else "yes" if met else "NO"
    print(f"{benchmark}: {figure} | target {target} | met: {verdict} | load {measurement.load}")
    if not recording():
        return
    row = [
        # The system clock itself: under a frozen clock (freezegun replaces every module's
        # datetime, even one imported as "real"), time.clock_gettime still tells the time.
        time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.clock_gettime(time.CLOCK_REALTIME))),
        benchmark,
        figure,
        target,
        verdict,
        measurement.load,
        machine(),
        versions(),
        code_version(),
        run,
    ]
    text = RESULTS.read_text() if RESULTS.exists() else ""
    if HEADER.splitlines()[0] not in text:
        text = (text.rstrip() + "\n\n" if text.strip() else PREAMBLE) + HEADER
    if not text.endswith("\n"):
        text += "\n"
    text += "| " + " | ".join(cell.replace("|", "/") for cell in row) + " |\n"
    RESULTS.write_text(text)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# ---- the installation -------------------------------------------------------------------------


def powermon_data(*, inverters: int = 2, packs: int = 6) -> dict[str, Any]:
    """Config-entry data of the powermon + lvx-control installation (the simulator's face)."""
    return {
        CONF_TRANSPORT: "mqtt",
        CONF_PROFILE: "powermon_lvx",
        CONF_STATE_TOPIC_PREFIX: "homeassistant/sensor",
        CONF_INVERTER_PREFIX: "lvx6048",
        CONF_BATTERY_PREFIX: "lifepower4",
        CONF_COMMAND_TOPIC_PREFIX: "solar/control/lvx6048",
        CONF_INVERTER_COUNT: inverters,
        CONF_PACK_COUNT: packs,
        CONF_CMD_MAX_CHARGE_CURRENT: "max_charge_current",
        CONF_CMD_MAX_UTILITY_CHARGE_CURRENT: "max_utility_charge_current",
        CONF_CMD_STOP_CHARGE_VOLTAGE: "stop_charge_voltage",
    }


def powermon_entry(*, inverters: int = 2, packs: int = 6, tag: str = "bench") -> MockConfigEntry:
    """A powermon entry (not yet added to Home Assistant)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="EG4 lvx6048",
        data=powermon_data(inverters=inverters, packs=packs),
        unique_id=f"powermon_lvx:{tag}:{inverters}:{packs}",
    )


def entity_interval(entry: MockConfigEntry) -> float | None:
    """Seconds between a measurement entity's writes in the loaded entry (None: at once).

    Read from the running coordinator, so the figure is what the integration uses: its
    default unless the entry's options say otherwise.
    """
    fanout = getattr(entry.runtime_data.coordinator, "fanout", None)
    return None if fanout is None else float(fanout.interval)


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up a config entry."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


# ---- the stream -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """A recorded-shape stream: fixed topics, one payload per topic per simulated second.

    ``rounds[0]`` primes the receivers (first values; not measured); ``rounds[1:]`` are the
    measured seconds.
    """

    topics: tuple[str, ...]
    rounds: tuple[tuple[str, ...], ...]

    @property
    def measured(self) -> tuple[tuple[str, ...], ...]:
        """The rounds after the priming one."""
        return self.rounds[1:]

    @property
    def messages(self) -> int:
        """Messages in the measured rounds."""
        return len(self.topics) * len(self.measured)

    def changed_fraction(self) -> float:
        """Share of measured messages whose payload differs from the previous one on the topic."""
        changed = 0
        for before, after in zip(self.rounds, self.rounds[1:], strict=False):
            changed += sum(1 for a, b in zip(before, after, strict=True) if a != b)
        return changed / self.messages if self.messages else 0.0


def build_stream(*, inverters: int, packs: int, seconds: int, seed: int = 0) -> Stream:
    """Step the twin 1 s per round and collect PowermonLvxFace telemetry (1 + seconds rounds)."""
    twin = build_twin("healthy", inverters=inverters, packs=packs, seed=seed, config=STREAM_CONFIG)
    face = PowermonLvxFace(twin)
    first = face.telemetry()
    topics = tuple(m.topic for m in first)
    interned: dict[str, str] = {}
    rounds = [tuple(interned.setdefault(m.payload, m.payload) for m in first)]
    for _ in range(seconds):
        twin.step(1.0)
        messages = face.telemetry()
        if tuple(m.topic for m in messages) != topics:
            raise AssertionError("the face's topics changed mid-stream (a dropout?)")
        rounds.append(tuple(interned.setdefault(m.payload, m.payload) for m in messages))
    return Stream(topics, tuple(rounds))


def mqtt_client(hass: HomeAssistant) -> Any:
    """Home Assistant's MQTT client object (the test harness's MagicMock around it)."""
    return hass.data["mqtt"].client


def real_client(hass: HomeAssistant) -> Any:
    """The real MQTT client inside the harness's MagicMock (``wraps``)."""
    client = mqtt_client(hass)
    return getattr(client, "_mock_wraps", None) or client


def forget_mock_calls(hass: HomeAssistant) -> None:
    """Drop the call records the harness's MagicMock keeps of every delivered message.

    ``async_fire_mqtt_message`` calls ``_async_mqtt_on_message`` through a MagicMock that
    records each call with its message: left alone, that grows by the whole stream and makes
    later measurements (and the garbage collector) pay for earlier ones.
    """
    client = mqtt_client(hass)
    if not hasattr(client, "_mock_wraps"):
        return
    on_message = client._async_mqtt_on_message  # noqa: SLF001
    on_message.call_args_list.clear()
    on_message.mock_calls.clear()
    client.mock_calls.clear()
    client.method_calls.clear()


def paho_message(topic: str, payload: str) -> MQTTMessage:
    """A paho message as paho builds it from an incoming PUBLISH (QoS 0, not retained)."""
    msg = MQTTMessage(topic=topic.encode("utf-8"))
    msg.payload = payload.encode("utf-8")
    msg.qos = 0
    msg.retain = False
    msg.timestamp = time.monotonic()
    return msg


async def deliver(
    hass: HomeAssistant,
    topics: Sequence[str],
    rounds: Sequence[Sequence[str]],
    *,
    direct: bool = False,
    clock: SimClock | None = None,
) -> None:
    """Fire each round through Home Assistant's MQTT dispatch, then let the loop settle.

    ``direct=False``: ``async_fire_mqtt_message`` (the harness's way, through its MagicMock).
    ``direct=True``: the real client's ``_async_mqtt_on_message`` with a paho message, which
    is what paho calls in production; the MagicMock and its ``Mock()`` per message are left out.
    ``clock``: each round is one simulated second later than the one before.
    """
    on_message = real_client(hass)._async_mqtt_on_message  # noqa: SLF001
    for payloads in rounds:
        if clock is not None:
            clock.advance(1.0)
        if direct:
            for topic, payload in zip(topics, payloads, strict=True):
                on_message(None, None, paho_message(topic, payload))
        else:
            for topic, payload in zip(topics, payloads, strict=True):
                async_fire_mqtt_message(hass, topic, payload)
        await hass.async_block_till_done()
        if not direct:
            forget_mock_calls(hass)


def cpu_and_wall() -> tuple[float, float]:
    """(process CPU seconds, wall seconds) now."""
    return time.process_time(), time.perf_counter()
