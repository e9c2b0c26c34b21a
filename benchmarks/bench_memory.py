"""Issue 7.4: retained memory of a loaded entry (2 inverters, 16 packs) over an hour of ingest.

``tracemalloc`` starts after Home Assistant, MQTT and a warm-up entry of the same shape have
run and the warm-up entry has been removed again: module imports, translations and Home
Assistant's one-off caches are then already paid for and not counted. What is counted is
everything allocated from then on and still alive after ``gc.collect()``: the entry, its
coordinator, supervisor, devices, registry entries (with the JSON fragments the registries
cache when they save), entities and their states, and whatever the message stream leaves
behind. Samples: after setup, the first values and the registries' delayed saves (11 s), then
every 10 simulated minutes; the event loop's clock moves one second per round of telemetry
(``simclock.SimClock``), so the entry's timers (coalesced writes among them) run as in
production.

Not counted, and printed separately: what the test harness itself holds: its in-memory
stand-in for the files on disk (every Store write kept as parsed JSON) and the call records
of its MagicMocks. For the same reason delivery is ``direct`` (the real client's
``_async_mqtt_on_message``): ``async_fire_mqtt_message`` calls through a MagicMock that keeps
every call with its message, which would grow with the stream.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .harness import (
    Measurement,
    Stream,
    banner,
    build_stream,
    deliver,
    env_int,
    powermon_entry,
    report,
    setup_entry,
)
from .simclock import SimClock

INVERTERS = 2
PACKS = 16
TARGET_MB = 5.0
SAMPLE_EVERY = 600  # simulated seconds
FLAT_TOLERANCE = 0.05  # growth over the hour, as a share of the final figure
MB = 1024 * 1024
SAVE_DELAY_S = 11


HARNESS = (
    # The harness's stand-in for files on disk: every Store write is kept as parsed JSON.
    tracemalloc.Filter(
        inclusive=False,
        filename_pattern="*/pytest_homeassistant_custom_component/*",
        all_frames=True,
    ),
    # Call records of the harness's MagicMocks (the mocked paho client, the MQTT client).
    tracemalloc.Filter(inclusive=False, filename_pattern="*/unittest/mock.py", all_frames=True),
    # The previous sample's snapshot, while the next one is taken.
    tracemalloc.Filter(inclusive=False, filename_pattern=tracemalloc.__file__),
)
FRAMES = 3  # enough to see the harness's frame under a JSON parse or a mock call


async def retained(hass: HomeAssistant) -> tuple[int, int, tracemalloc.Snapshot]:
    """(retained bytes without the harness's, the harness's bytes, the snapshot)."""
    await asyncio.sleep(0)  # timers a SimClock's advance made due run before the wait
    await hass.async_block_till_done()
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    total = sum(trace.size for trace in snapshot.traces)
    ours = snapshot.filter_traces(HARNESS)
    kept = sum(trace.size for trace in ours.traces)
    return kept, total - kept, ours


async def _samples(
    hass: HomeAssistant, stream: Stream
) -> tuple[MockConfigEntry, list[tuple[int, int]], int, tracemalloc.Snapshot]:
    """Set up the entry; sample after setup and every SAMPLE_EVERY simulated seconds.

    Returns the entry, the samples (simulated seconds, retained bytes), the harness's bytes
    at the last sample and the last snapshot.
    """
    with SimClock(hass.loop) as clock:
        entry = powermon_entry(inverters=INVERTERS, packs=PACKS)
        await setup_entry(hass, entry)
        await deliver(hass, stream.topics, stream.rounds[:1], direct=True, clock=clock)
        # Let the registries' delayed saves (10 s) run: each caches the JSON form of every
        # registry entry, which belongs to the entry's footprint.
        clock.advance(SAVE_DELAY_S)
        kept, harness, snapshot = await retained(hass)
        samples: list[tuple[int, int]] = [(0, kept)]
        print(
            f"  after setup, first values and the registry saves: {kept / MB:.3f} MB "
            f"(+ {harness / MB:.3f} MB held by the test harness, not counted)"
        )
        measured = stream.measured
        for start in range(0, len(measured), SAMPLE_EVERY):
            chunk = measured[start : start + SAMPLE_EVERY]
            await deliver(hass, stream.topics, chunk, direct=True, clock=clock)
            at = start + len(chunk)
            del snapshot
            kept, harness, snapshot = await retained(hass)
            samples.append((at, kept))
            print(
                f"  after {at // 60:>3} simulated min: {kept / MB:.3f} MB "
                f"(+ {harness / MB:.3f} MB harness)"
            )
    return entry, samples, harness, snapshot


async def test_retained_memory(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Retained memory after setup and at every 10 simulated minutes of ingest."""
    seconds = env_int("EG4_BENCH_MEMORY_ROUNDS", 3600)
    banner("Retained memory of a loaded entry, 2 inverters + 16 packs (issue 7.4)")
    stream = build_stream(inverters=INVERTERS, packs=PACKS, seconds=seconds)
    print(
        f"stream: {len(stream.topics)} topics x {seconds} simulated seconds = "
        f"{stream.messages} messages, delivered direct"
    )

    warm = powermon_entry(inverters=INVERTERS, packs=PACKS, tag="warm-up")
    await setup_entry(hass, warm)
    await deliver(hass, stream.topics, stream.rounds[:3], direct=True)
    assert await hass.config_entries.async_remove(warm.entry_id)
    await hass.async_block_till_done()

    measurement = Measurement()
    gc.collect()
    tracemalloc.start(FRAMES)
    try:
        entry, samples, harness_bytes, snapshot = await _samples(hass, stream)
    except BaseException:
        tracemalloc.stop()
        raise
    measurement.stop()

    entities = len(er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id))
    print(f"entry: {entities} entities; largest retained allocations by file:")
    for stat in snapshot.statistics("filename")[:10]:
        print(f"  {stat.size / 1024:9.1f} KiB in {stat.count:6d} blocks  {stat.traceback}")
    tracemalloc.stop()

    final = samples[-1][1]
    growth = final - samples[0][1]
    flat = growth <= FLAT_TOLERANCE * final
    met = final < TARGET_MB * MB and flat
    trace = ", ".join(f"{at // 60}m {value / MB:.2f}" for at, value in samples)
    run = f"{seconds} of 3600 simulated s" if seconds < 3600 else "full hour"
    report(
        "memory",
        f"{final / MB:.2f} MB retained after {seconds // 60} simulated min "
        f"({entities} entities); growth from setup {growth / 1024:+.0f} KiB; "
        f"samples (MB): {trace}; the test harness held {harness_bytes / MB:.2f} MB more "
        "(not counted)",
        f"< {TARGET_MB:g} MB and flat (growth from setup <= {FLAT_TOLERANCE:.0%})",
        met=met,
        measurement=measurement,
        run=f"{run}, {stream.messages} msgs (direct)",
    )
    assert final < TARGET_MB * MB, f"{final / MB:.2f} MB retained (target < {TARGET_MB:g} MB)"
    assert flat, f"memory grew by {growth / 1024:.0f} KiB during ingest"
