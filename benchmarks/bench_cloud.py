"""Issue 7.3: cloud request budget and refresh wall time against the simulator's portal.

The simulator's ``CloudApiServer`` (twin: 2 inverters, 6 packs) listens on 127.0.0.1 with
100 ms of injected latency per request. The integration's own client
(``Eg4CloudClient`` on Home Assistant's ``async_create_clientsession``, default settings) is
discovered with ``CloudTransport.async_discover`` and polled with ``async_poll()``, the call
the coordinator makes on each refresh. The first poll also reads the parameters (hourly);
the steady-state refreshes after it are measured: requests per refresh (the client's
``request_count`` and the server's own count) and wall time, against the latency of one
request measured on the same connection.
"""

from __future__ import annotations

import statistics
import time
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
TARGET_REQUESTS = 4
SINGLE_SAMPLES = 10


async def test_cloud_refresh(hass: HomeAssistant, socket_enabled: None) -> None:
    """Requests per steady-state refresh and its wall time (inverters fetched concurrently)."""
    refreshes = env_int("EG4_BENCH_CLOUD_REFRESHES", 20)
    banner("Cloud refresh: request budget and wall time (issue 7.3)")
    twin = build_twin("healthy", inverters=2, packs=6, seed=0)
    server = CloudApiServer(twin, latency_s=LATENCY_S)
    base_url = await server.start()
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
        first = client.request_count - count0

        singles: list[float] = []
        for _ in range(SINGLE_SAMPLES):
            start = time.perf_counter()
            await client.runtime(server.serials[0])
            singles.append(time.perf_counter() - start)
        single = statistics.median(singles)

        measurement = Measurement()
        walls: list[float] = []
        counts: list[int] = []
        server_counts: list[int] = []
        for _ in range(refreshes):
            twin.step(60.0)
            delivered.clear()
            client_before, server_before = client.request_count, server.total_requests
            start = time.perf_counter()
            await transport.async_poll()
            walls.append(time.perf_counter() - start)
            counts.append(client.request_count - client_before)
            server_counts.append(server.total_requests - server_before)
            sources = {
                reading.source
                for result in delivered
                if isinstance(result, Decoded)
                for reading in result.readings
            }
            assert {s.index for s in sources if s.kind is SourceKind.INVERTER} == {1, 2}
            assert {s.index for s in sources if s.kind is SourceKind.PACK} == set(range(1, 7))
        measurement.stop()
        await transport.async_stop()
    finally:
        await server.stop()

    per_refresh = max(counts)
    wall_p50, wall_max = statistics.median(walls), max(walls)
    bound = 2 * single
    print(
        f"first refresh (with the parameter read): {first} requests; "
        f"{refreshes} steady refreshes: requests per refresh {sorted(set(counts))} "
        f"(server saw {sorted(set(server_counts))}); peak in flight {client.peak_in_flight}"
    )
    print(
        f"one request: median {single * 1000:.1f} ms (injected {LATENCY_S * 1000:.0f} ms); "
        f"refresh wall: median {wall_p50 * 1000:.1f} ms, max {wall_max * 1000:.1f} ms "
        f"= {wall_p50 / single:.2f}x one request"
    )
    report(
        "cloud requests",
        f"{per_refresh} requests per steady-state refresh (2 inverters, 6 packs)",
        f"<= {TARGET_REQUESTS}",
        met=per_refresh <= TARGET_REQUESTS,
        measurement=measurement,
        run=f"{refreshes} refreshes; first refresh {first} (parameters)",
    )
    report(
        "cloud refresh wall",
        f"median {wall_p50 * 1000:.1f} ms (max {wall_max * 1000:.1f} ms) = "
        f"{wall_p50 / single:.2f}x one request ({single * 1000:.1f} ms)",
        f"< 2x one request ({bound * 1000:.1f} ms)",
        met=wall_p50 < bound,
        measurement=measurement,
        run=f"{refreshes} refreshes, {LATENCY_S * 1000:.0f} ms injected latency",
    )
    assert per_refresh <= TARGET_REQUESTS, f"{per_refresh} requests per refresh"
    assert wall_p50 < bound, (
        f"refresh takes {wall_p50 * 1000:.1f} ms, {wall_p50 / single:.2f}x one request "
        f"({single * 1000:.1f} ms)"
    )
