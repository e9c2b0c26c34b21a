"""Real-time runner: steps a twin with wall-clock time x speed and speaks MQTT through a face.

:class:`RealtimeLoop` is transport-agnostic (it takes a publish callback and receives commands
through :meth:`RealtimeLoop.deliver`), so it can be driven in-process. :func:`run_mqtt` wires it
to a broker with paho-mqtt, imported lazily so nothing else in the package needs it.

Timing: each tick steps the twin by (real seconds since the last tick) x ``speed``; telemetry
is published every ``interval_s`` *real* seconds (so ``interval_s * speed`` simulated seconds
apart) and once right at start.
"""

from __future__ import annotations

import logging
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from .faces import FACES, Face, Message
from .protocols import Protocol
from .scenarios import build_twin
from .twin import Twin, TwinConfig

_LOG = logging.getLogger("simulator.runner")

Publish = Callable[[Message], None]
TRUE_OPTIONS = frozenset({"1", "true", "yes", "on"})


class RealtimeLoop:
    """Advance a twin in real time, apply queued commands and publish telemetry."""

    def __init__(
        self,
        twin: Twin,
        face: Face,
        publish: Publish,
        *,
        speed: float = 60.0,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Bind a twin, a face and a publish callback; clock is injectable for tests."""
        if speed <= 0 or interval_s <= 0:
            raise ValueError("speed and interval must be positive")
        self.twin = twin
        self.face = face
        self.publish = publish
        self.speed = speed
        self.interval_s = interval_s
        self.clock = clock
        self._inbox: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._last_tick: float | None = None
        self._last_publish: float | None = None
        self.published = 0

    def deliver(self, topic: str, payload: str) -> None:
        """Queue an incoming command (safe to call from the MQTT network thread)."""
        self._inbox.put((topic, payload))

    def tick(self) -> None:
        """Apply queued commands, advance the twin, publish telemetry when due."""
        now = self.clock()
        while True:
            try:
                topic, payload = self._inbox.get_nowait()
            except queue.Empty:
                break
            _LOG.info("command %s <- %r", topic, payload)
            for reply in self.face.handle(topic, payload):
                _LOG.info("reply %s -> %r", reply.topic, reply.payload)
                self.publish(reply)
        if self._last_tick is not None:
            self.twin.step(max(0.0, now - self._last_tick) * self.speed)
        self._last_tick = now
        if self._last_publish is None or now - self._last_publish >= self.interval_s:
            self._last_publish = now
            messages = self.face.telemetry()
            for message in messages:
                self.publish(message)
            self.published += 1
            _LOG.info("%s (%d messages)", status_line(self.twin), len(messages))

    def run(
        self, stop: threading.Event, *, duration_s: float | None = None, tick_s: float = 0.2
    ) -> None:
        """Tick until stop is set or duration_s real seconds have passed."""
        start = self.clock()
        while not stop.is_set():
            self.tick()
            if duration_s is not None and self.clock() - start >= duration_s:
                break
            stop.wait(tick_s)


def status_line(twin: Twin) -> str:
    """One-line summary for logs."""
    hours = twin.time_of_day_h
    socs = ",".join(str(s) for s in twin.soc_readings())
    prio = twin.inverters[0].settings
    return (
        f"sim {twin.clock_s / 60:7.1f} min ({int(hours):02d}:{int(hours * 60) % 60:02d}) "
        f"bank {twin.bus_voltage:.2f} V {twin.bank_current_a:+.1f} A stage {twin.charge_stage} "
        f"SoC [{socs}] {prio.output_priority}/{prio.charger_priority.value}"
    )


@dataclass(kw_only=True)
class RunnerOptions:
    """Everything the CLI collects."""

    broker: str | None = "localhost:1883"
    profile: str = "powermon_lvx"
    scenario: str = "default"
    speed: float = 60.0
    interval_s: float = 5.0
    inverters: int = 2
    packs: int = 6
    seed: int = 0
    duration_s: float | None = None
    start_hour: float | None = None
    scenario_options: dict[str, float] = field(default_factory=dict)
    face_options: dict[str, str] = field(default_factory=dict)
    username: str | None = None
    password: str | None = None
    client_id: str = "eg4-simulator"


def make_face(profile: str, twin: Twin, face_options: dict[str, str]) -> Face:
    """Instantiate a face by profile name."""
    try:
        cls = FACES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; known: {sorted(FACES)}") from None
    kwargs: dict[str, Any] = dict(face_options)
    if "bridge_protocol" in kwargs:
        kwargs["bridge_protocol"] = Protocol(kwargs["bridge_protocol"])
    if "datalogs" in kwargs:  # lxp_bridge: "BA12345678,BA87654321"
        kwargs["datalogs"] = [
            part.strip() for part in kwargs["datalogs"].split(",") if part.strip()
        ]
    if "unsigned_bms_fields" in kwargs:
        kwargs["unsigned_bms_fields"] = kwargs["unsigned_bms_fields"].lower() in TRUE_OPTIONS
    face: Face = cls(twin, **kwargs)
    return face


def make_twin(opts: RunnerOptions) -> Twin:
    """Build the twin the options describe."""
    config = TwinConfig()
    if opts.start_hour is not None:
        config.start_hour = opts.start_hour
    return build_twin(
        opts.scenario,
        inverters=opts.inverters,
        packs=opts.packs,
        seed=opts.seed,
        config=config,
        **opts.scenario_options,
    )


def parse_broker(text: str) -> tuple[str, int]:
    """HOST:PORT (port defaults to 1883)."""
    host, _, port = text.rpartition(":")
    if not host:
        return text, 1883
    return host, int(port)


def run_print(opts: RunnerOptions) -> int:
    """No broker: print telemetry to stdout (for a quick look)."""
    twin = make_twin(opts)
    face = make_face(opts.profile, twin, opts.face_options)

    def publish(message: Message) -> None:
        sys.stdout.write(f"{message.topic} {message.payload}\n")
        sys.stdout.flush()

    return _run_loop(
        RealtimeLoop(twin, face, publish, speed=opts.speed, interval_s=opts.interval_s), opts
    )


def run_mqtt(opts: RunnerOptions) -> int:
    """Connect to the broker, subscribe to the face's commands and run until stopped."""
    import paho.mqtt.client as mqtt  # noqa: PLC0415 - only the runner needs paho
    from paho.mqtt.enums import CallbackAPIVersion  # noqa: PLC0415

    host, port = parse_broker(opts.broker or "localhost:1883")
    twin = make_twin(opts)
    face = make_face(opts.profile, twin, opts.face_options)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=opts.client_id)
    if opts.username is not None:
        client.username_pw_set(opts.username, opts.password)

    def publish(message: Message) -> None:
        client.publish(message.topic, message.payload, qos=0, retain=message.retain)

    loop = RealtimeLoop(twin, face, publish, speed=opts.speed, interval_s=opts.interval_s)

    def on_connect(
        client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        _LOG.info("connected to %s:%s (%s)", host, port, reason_code)
        for topic_filter in face.command_subscriptions():
            client.subscribe(topic_filter, qos=0)
            _LOG.info("subscribed %s", topic_filter)

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        loop.deliver(msg.topic, msg.payload.decode("utf-8", "replace"))

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(host, port)
    client.loop_start()
    try:
        return _run_loop(loop, opts)
    finally:
        client.loop_stop()
        client.disconnect()
        _LOG.info("disconnected")


def _run_loop(loop: RealtimeLoop, opts: RunnerOptions) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        loop.run(stop, duration_s=opts.duration_s)
    except KeyboardInterrupt:
        _LOG.info("interrupted")
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
