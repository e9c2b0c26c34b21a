"""Real-time loop and CLI, without any network."""

from __future__ import annotations

import pytest

from simulator import PowermonLvxFace, SolarAssistantFace, build_twin
from simulator.__main__ import build_parser, main
from simulator.faces import Message
from simulator.runner import RealtimeLoop, make_face, parse_broker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_loop_steps_with_speed_and_publishes_on_interval() -> None:
    twin = build_twin("healthy")
    clock = FakeClock()
    sent: list[Message] = []
    loop = RealtimeLoop(
        twin, PowermonLvxFace(twin), sent.append, speed=60.0, interval_s=5.0, clock=clock
    )
    loop.tick()
    assert loop.published == 1
    first = len(sent)
    assert first == 2 * 22 + 6 * 11
    clock.now += 2.0
    loop.tick()
    assert twin.clock_s == pytest.approx(120.0)
    assert len(sent) == first  # not due yet
    clock.now += 3.0
    loop.tick()
    assert twin.clock_s == pytest.approx(300.0)
    assert len(sent) == 2 * first


def test_loop_applies_commands_and_publishes_replies() -> None:
    twin = build_twin("healthy")
    clock = FakeClock()
    sent: list[Message] = []
    loop = RealtimeLoop(
        twin, SolarAssistantFace(twin), sent.append, speed=1.0, interval_s=100.0, clock=clock
    )
    loop.tick()
    sent.clear()
    loop.deliver("solar_assistant/inverter_2/max_charge_current/set", "40")
    assert twin.inverter(2).settings.max_charge_current_a == 80  # queued, not yet applied
    clock.now += 0.2
    loop.tick()
    assert twin.inverter(2).settings.max_charge_current_a == 40
    assert sent == [Message("solar_assistant/set/response_message/state", "Saved")]


def test_loop_rejects_bad_parameters() -> None:
    twin = build_twin("healthy")
    with pytest.raises(ValueError, match="positive"):
        RealtimeLoop(twin, PowermonLvxFace(twin), print, speed=0.0)


def test_parse_broker() -> None:
    assert parse_broker("mqtt.local:1884") == ("mqtt.local", 1884)
    assert parse_broker("mqtt.local") == ("mqtt.local", 1883)


def test_make_face_options() -> None:
    twin = build_twin("healthy")
    face = make_face("powermon_lvx", twin, {"inverter_prefix": "x", "bridge_protocol": "PI30"})
    assert isinstance(face, PowermonLvxFace)
    assert face.inverter_prefix == "x"
    with pytest.raises(ValueError, match="unknown profile"):
        make_face("nope", twin, {})


def test_cli_arguments() -> None:
    args = build_parser().parse_args(
        [
            "--broker", "127.0.0.1:1883", "--profile", "solar_assistant", "--scenario", "drifted",
            "--speed", "120", "--interval", "2", "--inverters", "1", "--packs", "4", "--seed",
            "3", "--duration", "10", "--option", "start_s=5",
        ]
    )  # fmt: skip
    assert args.profile == "solar_assistant"
    assert args.speed == 120.0
    assert args.option == [("start_s", "5")]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--scenario", "nope"])


def test_cli_print_mode_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--print", "--profile", "solar_assistant", "--scenario", "drifted", "--duration", "0"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "solar_assistant/battery_6/state_of_charge/state 76" in out
