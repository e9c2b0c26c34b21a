"""Issue 16: how ingest CPU per message and memory grow with the bank.

Banks (inverters, packs): 1 and 6, 2 and 16, 8 and 32, 8 and 48, each the simulator's
PowermonLvxFace on a healthy twin (the ingest benchmark's daytime, noisy house load). The
integration admits at most 32 packs (``MAX_PACKS``): in the last bank, packs 33-48 publish
and are dropped at the decoder, so that bank shows what 16 packs too many cost, not a bank
the integration serves; 8 inverters and 32 packs is the largest bank it serves.

Per bank, in one Home Assistant (after a warm-up entry that pays for imports and Home
Assistant's one-off caches, removed again), with the entry's default options:

* memory: ``tracemalloc`` from before the entry's setup to after its first
  ``EG4_BENCH_SCALE_SETTLE`` simulated seconds (60) of ingest and its registries' delayed
  saves, retained after ``gc.collect()``, without what the test harness holds (as in
  ``bench_memory``);
* CPU per message: ``time.process_time()`` over the next ``EG4_BENCH_SCALE_ROUNDS`` simulated
  seconds (600) delivered ``direct`` (the real client's ``_async_mqtt_on_message``), the
  event loop's clock moved one second per round (``simclock.SimClock``).

The entry is removed before the next bank.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from dataclasses import dataclass

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.eg4.const import MAX_PACKS

from .bench_ingest import StateWrites
from .bench_memory import FRAMES, MB, SAVE_DELAY_S, retained
from .harness import (
    Measurement,
    banner,
    build_stream,
    deliver,
    entity_interval,
    env_int,
    powermon_entry,
    report,
    setup_entry,
)
from .simclock import SimClock

BANKS = ((1, 6), (2, 16), (8, 32), (8, 48))  # (inverters, packs)
TARGET_SPREAD = 0.25  # CPU per message of every bank within +-25 % of the smallest bank's


@dataclass
class Bank:
    """One bank's figures."""

    inverters: int
    packs: int
    topics: int = 0
    messages: int = 0
    entities: int = 0
    cpu: float = 0.0
    writes: int = 0
    accepted: float = 0.0
    changed: float = 0.0
    memory: int = 0
    harness: int = 0
    interval: float | None = None

    @property
    def name(self) -> str:
        """``8 inverters, 48 packs``."""
        return f"{self.inverters} inverter{'s' if self.inverters > 1 else ''}, {self.packs} packs"

    @property
    def per_message(self) -> float:
        """CPU µs per message."""
        return self.cpu / self.messages * 1e6

    @property
    def served(self) -> bool:
        """True when the integration admits every pack of the bank."""
        return self.packs <= MAX_PACKS


async def measure(
    hass: HomeAssistant, writes: StateWrites, bank: Bank, settle: int, seconds: int
) -> None:
    """Memory after setup and the first seconds, then CPU per message over the rest."""
    stream = build_stream(inverters=bank.inverters, packs=bank.packs, seconds=settle + seconds)
    bank.topics = len(stream.topics)
    first, rest = stream.rounds[: 1 + settle], stream.rounds[1 + settle :]
    bank.messages = len(stream.topics) * len(rest)
    bank.changed = stream.changed_fraction()
    with SimClock(hass.loop) as clock:
        gc.collect()
        tracemalloc.start(FRAMES)
        try:
            entry = powermon_entry(inverters=bank.inverters, packs=bank.packs, tag="scale")
            await setup_entry(hass, entry)
            await deliver(hass, stream.topics, first, direct=True, clock=clock)
            clock.advance(SAVE_DELAY_S)  # the registries' delayed saves
            bank.memory, bank.harness, _snapshot = await retained(hass)
            del _snapshot
        finally:
            tracemalloc.stop()
        coordinator = entry.runtime_data.coordinator
        bank.interval = entity_interval(entry)
        accepted, before = coordinator.accepted, writes.count
        gc.collect()
        cpu0 = time.process_time()
        await deliver(hass, stream.topics, rest, direct=True, clock=clock)
        bank.cpu = time.process_time() - cpu0
        bank.writes = writes.count - before
        bank.accepted = (coordinator.accepted - accepted) / bank.messages
        registry = er.async_get(hass)
        bank.entities = len(er.async_entries_for_config_entry(registry, entry.entry_id))
        assert await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()


async def test_scale(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """CPU per message and memory per bank; the spread of CPU per message across banks."""
    settle = env_int("EG4_BENCH_SCALE_SETTLE", 60)
    seconds = env_int("EG4_BENCH_SCALE_ROUNDS", 600)
    banner("Scale: ingest CPU per message and memory, 1 to 8 inverters, 6 to 48 packs (issue 16)")
    writes = StateWrites(hass)
    warm = powermon_entry(inverters=1, packs=6, tag="warm-up")
    await setup_entry(hass, warm)
    warm_stream = build_stream(inverters=1, packs=6, seconds=3)
    await deliver(hass, warm_stream.topics, warm_stream.rounds, direct=True)
    assert await hass.config_entries.async_remove(warm.entry_id)
    await hass.async_block_till_done()

    banks: list[Bank] = []
    for inverters, packs in BANKS:
        bank = Bank(inverters, packs)
        measurement = Measurement()
        await measure(hass, writes, bank, settle, seconds)
        measurement.stop()
        banks.append(bank)
        print(
            f"[{bank.name}] {bank.topics} topics, {bank.entities} entities; CPU "
            f"{bank.per_message:.1f} µs/message over {bank.messages} messages "
            f"({bank.writes / bank.messages:.3f} writes/message, {bank.changed:.0%} changed, "
            f"{bank.accepted:.0%} decoded); memory {bank.memory / MB:.2f} MB "
            f"({bank.memory / max(1, bank.entities) / 1024:.1f} KiB per entity; harness "
            f"{bank.harness / MB:.2f} MB more, not counted)"
        )
        base = banks[0]
        spread = bank.per_message / base.per_message - 1.0
        note = "" if bank.served else f"; packs {MAX_PACKS + 1}-{packs} dropped (MAX_PACKS)"
        report(
            "scale ingest",
            f"{bank.name}: {bank.per_message:.1f} µs/msg ({spread:+.0%} vs {base.name}), "
            f"{bank.writes / bank.messages:.2f} writes/msg, {bank.accepted:.0%} decoded{note}",
            f"within ±{TARGET_SPREAD:.0%} of the smallest bank",
            met=abs(spread) <= TARGET_SPREAD,
            measurement=measurement,
            run=f"{seconds} simulated s after {settle} s, {bank.messages} msgs (direct), "
            f"entity interval {bank.interval} s",
        )
        report(
            "scale memory",
            f"{bank.name}: {bank.memory / MB:.2f} MB retained ({bank.entities} entities, "
            f"{bank.memory / max(1, bank.entities) / 1024:.1f} KiB each){note}",
            "for the record (bench_memory: < 5 MB for 2 inverters, 16 packs)",
            met=None,
            measurement=measurement,
            run=f"after setup, {settle} simulated s of ingest and the registry saves",
        )
    base = banks[0]
    missed = [
        f"{bank.name}: {bank.per_message / base.per_message - 1:+.0%}"
        for bank in banks
        if abs(bank.per_message / base.per_message - 1) > TARGET_SPREAD
    ]
    assert not missed, (
        f"CPU per message moves more than ±{TARGET_SPREAD:.0%} from {base.name}: "
        + ", ".join(missed)
    )
