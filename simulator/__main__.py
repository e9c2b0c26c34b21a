"""Command line: ``python -m simulator --broker HOST:PORT --profile ... --scenario ...``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .faces import FACES
from .runner import RunnerOptions, run_mqtt, run_print
from .scenarios import SCENARIOS


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(
        prog="python -m simulator", description="EG4 solar-bank digital twin over MQTT"
    )
    p.add_argument("--broker", default="localhost:1883", help="HOST:PORT (default %(default)s)")
    p.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help="no broker: print telemetry to stdout",
    )
    p.add_argument("--profile", choices=sorted(FACES), default="powermon_lvx")
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default="default")
    p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    p.add_argument("--interval", type=float, default=5.0, help="telemetry period in REAL seconds")
    p.add_argument("--inverters", type=int, default=2)
    p.add_argument("--packs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--duration", type=float, default=None, help="stop after S real seconds")
    p.add_argument("--start-hour", type=float, default=None, help="simulated local start time")
    p.add_argument(
        "--option",
        type=_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="numeric scenario option, e.g. start_s=600 (repeatable)",
    )
    p.add_argument(
        "--face-option",
        type=_pair,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="face constructor argument, e.g. inverter_prefix=lvx6048 (repeatable)",
    )
    p.add_argument("--username", default=None)
    p.add_argument("--password", default=None)
    p.add_argument("--client-id", default="eg4-simulator")
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        scenario_options = {k: float(v) for k, v in args.option}
    except ValueError as err:
        print(f"bad --option: {err}", file=sys.stderr)
        return 2
    opts = RunnerOptions(
        broker=None if args.print_only else args.broker,
        profile=args.profile,
        scenario=args.scenario,
        speed=args.speed,
        interval_s=args.interval,
        inverters=args.inverters,
        packs=args.packs,
        seed=args.seed,
        duration_s=args.duration,
        start_hour=args.start_hour,
        scenario_options=scenario_options,
        face_options=dict(args.face_option),
        username=args.username,
        password=args.password,
        client_id=args.client_id,
    )
    if opts.broker is None:
        return run_print(opts)
    return run_mqtt(opts)


if __name__ == "__main__":
    raise SystemExit(main())
