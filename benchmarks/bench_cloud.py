"""Issues 7.3 and 16: cloud request budget and refresh wall time against the simulator's portal.

The simulator's ``CloudApiServer`` listens on 127.0.0.1 with 100 ms of injected latency per
request, for three banks: 1 inverter with 6 packs, 2 with 16, 8 with 48 (the packs report
through the first unit, as on the portal). The integration's own client (``Eg4CloudClient``
on Home Assistant's ``async_create_clientsession``, default settings) is discovered with
``CloudTransport.async_discover`` and polled with ``async_poll()``, the call the coordinator
makes on each refresh. The first poll also reads the parameters (hourly); the steady-state
refreshes after it are measured: requests per refresh (the client's ``request_count`` and the
server's own count) against ``1 + inverters`` (one runtime read per inverter, one battery
read for the bank), and, for the 2-inverter bank, the refresh wall time against the latency of
one request measured on the same connection.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_create_clientsession

from custom_components.eg4.cloud import Eg4CloudClient
from custom_components.eg4.model import SourceKind
from custom_components.eg4.transport.base import Decoded, TransportResult
from custom_components.eg4.transport.cloud import CloudTransport
from simulator import build_twin
from simulator.cloud_api import CloudApiServer

from .harness import Measurement, banner, env_int, report

LATENCY_S = 0.100
BANKS = ((1, 6), (2, 16), (8, 48))  # (inverters, packs)
WALL_BANK = 2  # inverters of the bank whose refresh wall time is measured
SINGLE_SAMPLES = 10


@dataclass
class Refreshes:
    """What one bank's steady-state refreshes cost."""

    first: int = 0
    single: float = 0.0
    counts: list[int] = field(default_factory=list)
    server_counts: list[int] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    peak_in_flight: int = 0
    measurement: Measurement = field(default_factory=Measurement)


async def measure(hass: HomeAssistant, inverters: int, packs: int, refreshes: int) -> Refreshes:
    """Discover the bank, poll once with the parameters, then time the steady refreshes."""
    twin = build_twin("healthy", inverters=inverters, packs=packs, seed=0)
    server = CloudApiServer(twin, latency_s=LATENCY_S)
    base_url = await server.start()
    out = Refreshes()
    try:
        client = Eg4CloudClient(
            async_create_clientsession(hass),
            base_url=base_url,
            username=server.username,
            password=server.password,
        )
        transport = await CloudTransport.async_discover(
            client, server.plant_id, scan_interval=timedelta(seconds=60)
        )
        delivered: list[TransportResult] = []
        await transport.async_start(delivered.append)
        count0 = client.request_count
        await transport.async_poll()  # the first refresh also reads the parameters
        out.first = client.request_count - count0

        singles: list[float] = []
        for _ in range(SINGLE_SAMPLES):
            start = time.perf_counter()
            await client.runtime(server.serials[0])
            singles.append(time.perf_counter() - start)
        out.single = statistics.median(singles)

        out.measurement = Measurement()
        for _ in range(refreshes):
            twin.step(60.0)
            delivered.clear()
            client_before, server_before = client.request_count, server.total_requests
            start = time.perf_counter()
            await transport.async_poll()
            out.walls.append(time.perf_counter() - start)
            out.counts.append(client.request_count - client_before)
            out.server_counts.append(server.total_requests - server_before)
            sources = {
                reading.source
                for result in delivered
                if isinstance(result, Decoded)
                for reading in result.readings
            }
            indices = {kind: {s.index for s in sources if s.kind is kind} for kind in SourceKind}
            assert indices[SourceKind.INVERTER] == set(range(1, inverters + 1))
            assert indices[SourceKind.PACK] == set(range(1, packs + 1))
        out.measurement.stop()
        out.peak_in_flight = client.peak_in_flight
        await transport.async_stop()
    finally:
        await server.stop()
    return out


async def test_cloud_refresh(hass: HomeAssistant, socket_enabled: None) -> None:
    """Requests per steady-state refresh per bank; wall time of the 2-inverter bank's refresh."""
    refreshes = env_int("EG4_BENCH_CLOUD_REFRESHES", 20)
    banner("Cloud refresh: request budget per bank and wall time (issues 7.3, 16)")
    missed: list[str] = []
    for inverters, packs in BANKS:
        bank = f"{inverters} inverter{'s' if inverters > 1 else ''}, {packs} packs"
        got = await measure(hass, inverters, packs, refreshes)
        per_refresh, budget = max(got.counts), 1 + inverters
        print(
            f"[{bank}] first refresh (with the parameter read): {got.first} requests; "
            f"{refreshes} steady refreshes: requests per refresh {sorted(set(got.counts))} "
            f"(server saw {sorted(set(got.server_counts))}); peak in flight {got.peak_in_flight}; "
            f"refresh wall median {statistics.median(got.walls) * 1000:.1f} ms"
        )
        report(
            "cloud requests",
            f"{per_refresh} requests per steady-state refresh ({bank})",
            f"<= 1 + inverters = {budget}",
            met=per_refresh <= budget,
            measurement=got.measurement,
            run=f"{refreshes} refreshes; first refresh {got.first} (parameters)",
        )
        if per_refresh > budget:
            missed.append(f"{bank}: {per_refresh} requests per refresh (budget {budget})")
        if inverters != WALL_BANK:
            continue
        wall_p50, wall_max, single = statistics.median(got.walls), max(got.walls), got.single
        print(
            f"[{bank}] one request: median {single * 1000:.1f} ms (injected "
            f"{LATENCY_S * 1000:.0f} ms); refresh wall: median {wall_p50 * 1000:.1f} ms, "
            f"max {wall_max * 1000:.1f} ms = {wall_p50 / single:.2f}x one request"
        )
        report(
            "cloud refresh wall",
            f"median {wall_p50 * 1000:.1f} ms (max {wall_max * 1000:.1f} ms) = "
            f"{wall_p50 / single:.2f}x one request ({single * 1000:.1f} ms), {bank}",
            f"< 2x one request ({2 * single * 1000:.1f} ms)",
            met=wall_p50 < 2 * single,
            measurement=got.measurement,
            run=f"{refreshes} refreshes, {LATENCY_S * 1000:.0f} ms injected latency",
        )
        if wall_p50 >= 2 * single:
            missed.append(
                f"{bank}: refresh takes {wall_p50 * 1000:.1f} ms, {wall_p50 / single:.2f}x "
                f"one request ({single * 1000:.1f} ms)"
            )
    assert not missed, "; ".join(missed)
