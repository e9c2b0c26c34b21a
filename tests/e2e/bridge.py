"""Connect a simulator face to a real broker through Home Assistant's own MQTT client.

The twin is stepped in-process by the test; the bridge only moves messages:

* the face's command filters are subscribed with ``mqtt.async_subscribe``: every command the
  integration publishes travels to mosquitto and back before ``face.handle`` sees it, and any
  reply (Solar Assistant's response message) is published back through the broker;
* ``publish_telemetry`` publishes ``face.telemetry()`` with ``mqtt.async_publish`` and then a
  marker on a private topic, and returns once the marker came back. The broker keeps one
  client's QoS 0 messages in order, and Home Assistant hands each message to its
  subscribers as it reads it, so when the marker is back the integration has handled every
  telemetry message published before it.

A face answers one thing at a time, as a device does: a command that arrives while a telemetry
batch is still being published is handled once the batch is out. Otherwise a reply could
overtake telemetry read before the command, and the integration would see the old value
after the confirmation (a race of this rig, not of a device).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from simulator.faces import Face, Message

try:  # freezegun may freeze or jump time.perf_counter; time-outs here are in real seconds
    from freezegun.api import real_monotonic as _real_clock
except ImportError:  # pragma: no cover - freezegun comes with the test plugin
    from time import monotonic as _real_clock

SYNC_TOPIC = "eg4_e2e/bridge/sync"
POLL_S = 0.01


async def wait_for(
    condition: Callable[[], object],
    timeout: float = 5.0,  # noqa: ASYNC109 - a real-time budget, see below
    what: str | None = None,
) -> None:
    """Poll ``condition`` in small real-time steps until it is true; fail after ``timeout`` s.

    The event loop keeps running between polls, so MQTT traffic is read and handled. The
    budget is kept on the real clock, not with ``asyncio.timeout``: the event loop's clock is
    the one a test may freeze or jump forward with ``freezer``.
    """
    deadline = _real_clock() + timeout
    while not condition():
        if _real_clock() > deadline:
            label = what or getattr(condition, "__name__", repr(condition))
            msg = f"timed out after {timeout} s waiting for {label}"
            raise AssertionError(msg)
        await asyncio.sleep(POLL_S)


@dataclass(frozen=True, slots=True)
class ReceivedCommand:
    """A command as the face received it, with the replies it produced."""

    topic: str
    payload: str
    replies: tuple[Message, ...]


@dataclass
class Bridge:
    """One face wired to Home Assistant's MQTT client."""

    hass: HomeAssistant
    face: Face
    commands: list[ReceivedCommand] = field(default_factory=list)
    _unsubscribers: list[CALLBACK_TYPE] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _sent_seq: int = 0
    _seen_seq: int = 0
    _publishing: bool = False
    _deferred: list[tuple[str, str]] = field(default_factory=list)

    async def start(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Subscribe to the face's commands and the sync topic; wait until they are live.

        Home Assistant batches subscriptions (wildcards first, one SUBSCRIBE at a time, then
        the plain topics), so once the sync topic, subscribed last, works, every earlier
        subscription (the integration's included) is active on the broker.
        """
        for topic_filter in self.face.command_subscriptions():
            self._unsubscribers.append(
                await mqtt.async_subscribe(self.hass, topic_filter, self._on_command, qos=1)
            )
        self._unsubscribers.append(
            await mqtt.async_subscribe(self.hass, SYNC_TOPIC, self._on_sync, qos=0)
        )
        deadline = _real_clock() + timeout
        while True:
            seq = await self._publish_sync()
            try:
                await wait_for(lambda seq=seq: self._seen_seq >= seq, timeout=0.05)
            except AssertionError:
                if _real_clock() > deadline:
                    raise
            else:
                return

    async def stop(self) -> None:
        """Unsubscribe and wait for replies still being published."""
        while self._unsubscribers:
            self._unsubscribers.pop()()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def publish_telemetry(self) -> int:
        """Publish the face's telemetry; return once the integration has handled all of it.

        Returns how many messages were published (0 during a telemetry dropout).
        """
        self._publishing = True
        try:
            messages = self.face.telemetry()
            for message in messages:
                await self._publish(message)
        finally:
            self._publishing = False
            while self._deferred:
                self._handle(*self._deferred.pop(0))
        await self.sync()
        return len(messages)

    async def sync(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Round-trip a marker through the broker: everything published before it is handled."""
        seq = await self._publish_sync()
        await wait_for(lambda: self._seen_seq >= seq, timeout, f"sync marker {seq}")

    async def wait_for_commands(self, count: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the face has received ``count`` commands in total."""
        await wait_for(
            lambda: len(self.commands) >= count, timeout, f"{count} command(s) at the face"
        )

    async def _publish(self, message: Message) -> None:
        await mqtt.async_publish(
            self.hass, message.topic, message.payload, qos=0, retain=message.retain
        )

    async def _publish_sync(self) -> int:
        self._sent_seq += 1
        seq = self._sent_seq
        await mqtt.async_publish(self.hass, SYNC_TOPIC, str(seq), qos=0, retain=False)
        return seq

    @callback
    def _on_sync(self, msg: mqtt.ReceiveMessage) -> None:
        self._seen_seq = max(self._seen_seq, int(str(msg.payload)))

    @callback
    def _on_command(self, msg: mqtt.ReceiveMessage) -> None:
        payload = msg.payload
        text = payload if isinstance(payload, str) else bytes(payload).decode()
        if self._publishing:
            self._deferred.append((msg.topic, text))
        else:
            self._handle(msg.topic, text)

    def _handle(self, topic: str, text: str) -> None:
        replies = tuple(self.face.handle(topic, text))
        self.commands.append(ReceivedCommand(topic, text, replies))
        for reply in replies:
            task = self.hass.async_create_task(self._publish(reply))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
