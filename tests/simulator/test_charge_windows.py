"""The simulator's AC-charge windows: the lxp-bridge face and the portal hold and report them.

The lxp face is driven with the commands the integration's ``LxpBridgeProfile`` encodes and its
replies are decoded by that profile; the portal is driven through the real cloud client.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import time

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.eg4.cloud import (
    Eg4CloudClient,
    Eg4DeviceRejectedError,
    encode_write,
    readback_from_params,
    readback_window,
)
from custom_components.eg4.model import SettingKey
from custom_components.eg4.profiles.lxp_bridge import LxpBridgeProfile
from custom_components.eg4.transport.base import CommandResult, Decoded
from simulator import LxpBridgeFace, Twin, build_twin
from simulator.cloud_api import CloudApiServer
from simulator.faces import Message

DL1, DL2 = "BA12345678", "BA87654321"
START_2, END_2 = SettingKey.AC_CHARGE_START_2, SettingKey.AC_CHARGE_END_2


def face_and_profile() -> tuple[LxpBridgeFace, LxpBridgeProfile]:
    face = LxpBridgeFace(build_twin("drifted", inverters=2, packs=2, seed=0))
    profile = LxpBridgeProfile.from_config({"topic_prefix": "lxp", "datalogs": [DL1, DL2]})
    return face, profile


def read_back(
    profile: LxpBridgeProfile, messages: list[Message]
) -> tuple[dict[SettingKey, object], list[bool]]:
    """The settings and the command results the profile decodes from the face's replies."""
    settings: dict[SettingKey, object] = {}
    results: list[bool] = []
    for message in messages:
        decoded = profile.decode(message.topic, message.payload)
        if isinstance(decoded, Decoded):
            settings.update({r.setting: r.value for r in decoded.readings if r.setting})
        elif isinstance(decoded, CommandResult):
            results.append(decoded.ok)
    return settings, results


@given(hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_the_profiles_command_sets_the_boundary_and_its_echo_reads_back(
    hour: int, minute: int
) -> None:
    face, profile = face_and_profile()
    [command] = profile.encode(END_2, time(hour, minute), 1)
    replies = face.handle(command.topic, command.payload)
    assert read_back(profile, replies) == ({END_2: time(hour, minute)}, [True])
    assert face.params.windows.window(1, 2)["end"] == f"{hour:02d}:{minute:02d}"
    assert face.params.windows.window(2, 2)["end"] == "00:00"  # the other datalog's own
    retained = {m.topic: m.payload for m in face.telemetry() if m.retain}
    assert retained[f"lxp/{DL1}/hold/71"] == command.payload  # republished with the rest


def test_set_ac_charge_takes_both_times_and_publishes_the_window() -> None:
    face, profile = face_and_profile()
    replies = face.handle(f"lxp/cmd/{DL1}/set/ac_charge/2", '{"start":"23:15","end":"05:30"}')
    assert [(m.topic, m.retain) for m in replies] == [
        (f"lxp/{DL1}/hold/70", True),
        (f"lxp/{DL1}/hold/71", True),
        (f"lxp/{DL1}/ac_charge/2", True),
        (f"lxp/result/{DL1}/set/ac_charge/2", False),
    ]
    assert read_back(profile, replies) == ({START_2: time(23, 15), END_2: time(5, 30)}, [True])
    read = face.handle(f"lxp/cmd/{DL1}/read/ac_charge/2", "")
    assert json.loads(read[2].payload) == {"start": "23:15", "end": "05:30"}


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("set/hold/70", str(24)),  # hour 24
        ("set/hold/70", str(60 << 8)),  # minute 60
        ("set/ac_charge/2", '{"start":"25:00","end":"05:30"}'),
    ],
)
def test_a_time_that_is_no_time_of_day_fails_and_changes_nothing(path: str, payload: str) -> None:
    face, _ = face_and_profile()
    replies = face.handle(f"lxp/cmd/{DL1}/{path}", payload)
    assert replies[-1].payload == "FAIL"
    assert face.params.windows.window(1, 2) == {"start": "00:00", "end": "00:00"}
    assert not face.twin.journal[-1].accepted


@pytest.mark.parametrize("payload", ['{"start":"23:15"}', "23:15-05:30", '{"start":1,"end":2}'])
def test_a_window_payload_the_bridge_cannot_parse_gets_no_reply(payload: str) -> None:
    face, _ = face_and_profile()
    assert face.handle(f"lxp/cmd/{DL1}/set/ac_charge/1", payload) == []
    assert face.handle(f"lxp/cmd/{DL1}/set/ac_charge/12", '{"start":"01:00","end":"02:00"}') == []


# ---- the portal ------------------------------------------------------------------------------


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[CloudApiServer]:
    portal = CloudApiServer(build_twin("drifted", inverters=2, packs=2, seed=0))
    await portal.start()
    yield portal
    await portal.stop()


@pytest.fixture
async def client(server: CloudApiServer) -> AsyncIterator[Eg4CloudClient]:
    jar = aiohttp.CookieJar(unsafe=True)  # the portal runs on 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        yield Eg4CloudClient(
            session,
            base_url=server.base_url,
            username="demo",
            password="demo",  # noqa: S106 - the simulator's demo account
            retry_delays=(0.0, 0.0, 0.0),
        )


async def test_write_time_sets_one_boundary_and_a_single_register_read_reports_it(
    client: Eg4CloudClient, server: CloudApiServer
) -> None:
    serial = server.serials[1]
    await client.apply(serial, encode_write(START_2, time(22, 5)))
    params = await client.read_parameters(serial, *readback_window(START_2))
    assert params == {"HOLD_AC_CHARGE_START_HOUR_1": "22", "HOLD_AC_CHARGE_START_MINUTE_1": "05"}
    assert readback_from_params(params) == {START_2: time(22, 5)}
    assert server.params.windows.unit(2)[70] == 22 | 5 << 8
    assert server.params.windows.unit(1)[70] == 0  # per unit
    assert server.twin.journal[-1].request == "HOLD_AC_CHARGE_START_TIME_1=22:05"


async def test_hour_and_minute_writes_reach_the_same_register(
    client: Eg4CloudClient, server: CloudApiServer
) -> None:
    """The other way pylxpweb writes a boundary: remoteSet/write of the _HOUR and _MINUTE."""
    serial = server.serials[0]
    await client.write_parameter(serial, "HOLD_AC_CHARGE_END_HOUR_2", "6")
    await client.write_parameter(serial, "HOLD_AC_CHARGE_END_MINUTE_2", "45")
    params = await client.read_parameters(serial, 73, 1)
    assert readback_from_params(params) == {SettingKey.AC_CHARGE_END_3: time(6, 45)}


@pytest.mark.parametrize(("name", "hour", "minute"), [("HOLD_AC_CHARGE_START_TIME", 0, 60)])
async def test_the_portal_refuses_a_time_that_is_no_time_of_day(
    client: Eg4CloudClient, server: CloudApiServer, name: str, hour: int, minute: int
) -> None:
    twin: Twin = server.twin
    # The client refuses it before sending; the portal's own rule stands behind it.
    with pytest.raises(ValueError, match="minute"):
        await client.write_time(server.serials[0], name, hour, minute)
    assert server.params.write_time(1, name, hour, minute) == "REMOTE_SET_ERROR"
    assert not twin.journal[-1].accepted
    with pytest.raises(Eg4DeviceRejectedError):
        await client.write_time(server.serials[0], "HOLD_NOT_A_WINDOW_TIME", 1, 0)
