"""Try a calibration in the EG4 demo the way the README says, and watch it in headless Chromium.

Run with the demo venv's python against the Chromium that scripts/demo started (as
demo_browser.py is):

    python scripts/lib/demo_calibration.py --url http://127.0.0.1:8123 --profile DIR \
        --artifacts artifacts [--timeout 900] [--pid NAME=PID ...]

It starts ``eg4.run_calibration`` through Home Assistant's REST API with one-minute taper and
verification holds (the action's fields; the twin's default speed does the rest), opens the
dashboard's Calibration view logged in as the demo owner, and reads what each card shows,
through the shadow roots (demo_browser.SNAPSHOT_JS):

- while the run is on: the phase (Home Assistant's translated label of the calibration
  sensor's state), the time left ("Expected end": "in 5 minutes"), the time taken, the highest
  cell voltage with its abort limit, and each battery's current and state of charge;
- once it has ended: the result card with the outcome's label, the SoC spread after, and the
  batteries re-anchored.

Screenshots of both go to ``--artifacts`` (calibration-running.png, calibration-result.png);
a failed check saves the page it saw.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from demo_browser import (
    HEIGHT,
    SNAPSHOT_JS,
    WIDTH,
    DevTools,
    Page,
    browser_arguments,
    devtools_endpoint,
    expected_data,
    open_dashboard,
    run_check,
)
from demo_check import DASHBOARD_URL_PATH, CheckError, Demo, auth_callback_url, check_alive, ok

VIEW = "calibration"
HOLD = {"seconds": 60}  # the shortest holds the action takes
PHASE = "sensor.eg4_lvx6048_calibration"
RESULT = "sensor.eg4_lvx6048_last_calibration_result"
PACKS = range(1, 7)
TIME_LEFT = re.compile(r"^in (\d+|an?) (second|minute|hour)s?$", re.IGNORECASE)
# At the demo's speed the run ends within minutes: once the bank's pace is measured (a few
# seconds of charge) the expected end says so rather than the plan's hours. The screenshot
# waits this long for it.
PACE_WAIT_S = 30
ERRORS = re.compile(r"not available|entity not found|configuration error|\bunavailable\b", re.I)

type Snapshot = dict[str, Any]


def card_text(snap: Snapshot, title: str) -> list[str] | None:
    """The texts of the rendered card that shows ``title`` (None when there is none)."""
    for card in snap.get("cards", []):
        if title in card["text"]:
            return list(card["text"])
    return None


def after(text: list[str], name: str, count: int = 1) -> list[str]:
    """The ``count`` texts that follow a row's name in a card ([] when the name is absent)."""
    if name not in text:
        return []
    start = text.index(name) + 1
    return text[start : start + count]


def shown(text: list[str], name: str) -> str:
    """The value a row shows, with its unit when the frontend writes it apart ("3.6", "V")."""
    value = after(text, name, 2)
    if len(value) == 2 and value[1] in ("V", "A", "%", "mV", "min"):
        return " ".join(value)
    return value[0] if value else ""


def with_unit(text: list[str], name: str, unit: str) -> bool:
    """Whether the row ``name`` shows a number with ``unit`` ("3.45 V", "12 A", "55 %")."""
    value = " ".join(after(text, name, 2))
    return re.match(r"^-?[\d,]+(\.\d+)?\s?" + re.escape(unit) + r"(\s|$)", value) is not None


def running_problems(snap: Snapshot, phase_labels: set[str]) -> list[str]:
    """What the running calibration's cards lack: phase, time left, the watch values."""
    problems = [f"the page shows {m.group(0)!r}" for t in snap["page"] for m in ERRORS.finditer(t)]
    problems += [f"error element: {w}" for w in snap.get("warnings", [])]
    card = card_text(snap, "Calibration running")
    if card is None:
        return [*problems, "no 'Calibration running' card"]
    phase = after(card, "Phase")
    if not phase or phase[0] not in phase_labels:
        problems.append(f"'Phase' shows {phase}, not one of {sorted(phase_labels)}")
    left = after(card, "Expected end")
    if not left or not TIME_LEFT.match(left[0]):
        problems.append(f"'Expected end' shows {left}, not a time left ('in 5 minutes')")
    if not any(c.isdigit() for c in " ".join(after(card, "Elapsed"))):
        problems.append(f"'Elapsed' shows {after(card, 'Elapsed')}, not a time taken")
    for name, unit in (("Highest cell", "V"), ("Highest current", "A")):
        if not with_unit(card, name, unit):
            problems.append(f"{name!r} shows {after(card, name, 2)}, not a number in {unit}")
    if " ".join(after(card, "Abort limit", 2)) != "3.6 V":
        problems.append(f"'Abort limit' shows {after(card, 'Abort limit', 2)}, not 3.6 V")
    for title, unit in (("Battery current", "A"), ("Battery state of charge", "%")):
        glance = next(
            (c for c in snap["cards"] if any(t.startswith(title) for t in c["text"])), None
        )
        if glance is None:
            problems.append(f"no {title!r} card")
            continue
        for n in PACKS:
            if not with_unit(glance["text"], f"Battery {n}", unit):
                problems.append(
                    f"{title}: 'Battery {n}' shows {after(glance['text'], f'Battery {n}', 2)}"
                )
    return problems


def result_problems(snap: Snapshot, outcome_label: str) -> list[str]:
    """What the last calibration's card lacks: the outcome, the spread after, the batteries."""
    problems = [f"the page shows {m.group(0)!r}" for t in snap["page"] for m in ERRORS.finditer(t)]
    card = card_text(snap, "Last calibration")
    if card is None:
        return [*problems, "no 'Last calibration' card"]
    if after(card, "Result") != [outcome_label]:
        problems.append(f"'Result' shows {after(card, 'Result')}, not {outcome_label!r}")
    if not with_unit(card, "SoC spread after", "%"):
        problems.append(f"'SoC spread after' shows {after(card, 'SoC spread after', 2)}")
    if not after(card, "Re-anchored"):
        problems.append("'Re-anchored' shows nothing")
    if card_text(snap, "Calibration running") is not None:
        problems.append("the 'Calibration running' card is still shown")
    return problems


async def read_until(
    page: Page,
    check: Callable[[Snapshot], list[str]],
    limit_s: float,
    pids: list[tuple[str, int]],
) -> tuple[list[str], Snapshot]:
    """Re-read the page until ``check`` finds nothing wrong (fitting the viewport) or time's up."""
    deadline = time.monotonic() + limit_s
    height = HEIGHT
    while True:
        check_alive(pids, "during the calibration check")
        try:
            snap: Snapshot = await page.evaluate(SNAPSHOT_JS) or {}
        except CheckError as err:
            if page.devtools.closed:
                raise
            snap = {"cards": [], "page": [], "path": f"(unreadable: {err})"}
        problems = check(snap)
        if not problems:
            bottom = max((c["bottom"] for c in snap.get("cards", [])), default=0)
            fitted = max(600, min(4000, bottom + 16))
            if abs(fitted - height) <= 8:
                return problems, snap
            height = fitted
            await page.viewport(WIDTH, height)
        elif time.monotonic() > deadline:
            return problems, snap
        await asyncio.sleep(0.5)


def fail(what: str, problems: list[str], snap: Snapshot, shot: Path) -> CheckError:
    """Print what was wrong and what the page showed; the error to raise."""
    print(f"{what} (screenshot of what Chromium showed: {shot}):", file=sys.stderr)
    for problem in problems[:15]:
        print(f"    - {problem}", file=sys.stderr)
    for card in snap.get("cards", []):
        print(f"    {card['tag']}: {' | '.join(card['text'])[:300]}", file=sys.stderr)
    return CheckError("the calibration check failed")


async def wait_for_end(
    demo: Demo, limit_s: float, pids: list[tuple[str, int]]
) -> dict[str, dict[str, Any]]:
    """Until the run has ended (idle again, with a result); each phase is logged as it comes."""
    deadline = time.monotonic() + limit_s
    seen: list[str] = []
    while True:
        check_alive(pids, "during the calibration")
        states = await demo.states()
        phase = states.get(PHASE, {}).get("state", "?")
        if not seen or seen[-1] != phase:
            seen.append(phase)
            print(f"    calibration: {phase} after {limit_s - (deadline - time.monotonic()):.0f} s")
        if phase == "idle" and states.get(RESULT, {}).get("state") not in (None, "unknown"):
            return states
        if time.monotonic() > deadline:
            raise CheckError(f"the calibration did not end within {limit_s:.0f} s (phases: {seen})")
        await asyncio.sleep(2)


async def run(args: argparse.Namespace) -> int:
    """Start, watch, wait, read the result."""
    pids = [(name, int(pid)) for name, _, pid in (p.partition("=") for p in args.pid)]
    artifacts = Path(args.artifacts).resolve()
    running_png, result_png = (
        artifacts / "calibration-running.png",
        artifacts / "calibration-result.png",
    )
    started = time.monotonic()
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=10)) as cdp,
    ):
        demo = Demo(session, args.url)
        await demo.login(args.username, args.password)
        translations = (await expected_data(demo)).translations
        prefix = "component.eg4.entity.sensor."
        phases = {
            v for k, v in translations.items() if k.startswith(prefix + "calibration_state.state.")
        } - {translations.get(prefix + "calibration_state.state.idle")}
        succeeded = translations.get(prefix + "last_calibration_result.state.succeeded", "")
        if not phases or not succeeded:
            raise CheckError("Home Assistant has no labels for the calibration's states")
        await demo.service("eg4", "run_calibration", {"taper_hold": HOLD, "verify_hold": HOLD})
        ok("eg4.run_calibration started through the REST API with 1-minute taper and verify holds")
        endpoint = await devtools_endpoint(Path(args.profile), pids, 30)
        devtools = DevTools(await cdp.ws_connect(endpoint, max_msg_size=0))
        try:
            code = await demo.auth_code(args.username, args.password)
            page = await open_dashboard(devtools, auth_callback_url(demo, code, VIEW))
            problems, snap = await read_until(page, lambda s: running_problems(s, phases), 90, pids)
            for _ in range(PACE_WAIT_S):
                left = after(card_text(snap, "Calibration running") or [], "Expected end")
                if problems or not left or "hour" not in left[0]:
                    break
                await asyncio.sleep(1)
                problems, snap = await read_until(
                    page, lambda s: running_problems(s, phases), 30, pids
                )
            await page.screenshot(running_png)
            if problems:
                raise fail("the running calibration did not show", problems, snap, running_png)
            card = card_text(snap, "Calibration running") or []
            ok(
                f"/{DASHBOARD_URL_PATH}/{VIEW} during the run: Phase {shown(card, 'Phase')},"
                f" Expected end {shown(card, 'Expected end')}, Highest cell"
                f" {shown(card, 'Highest cell')} (limit {shown(card, 'Abort limit')}), 6 battery"
                f" currents"
                f" and states of charge; screenshot {running_png}"
            )
            states = await wait_for_end(demo, args.timeout, pids)
            outcome = states[RESULT]["state"]
            if outcome != "succeeded":
                attributes = states[RESULT].get("attributes", {})
                raise CheckError(
                    f"the calibration ended {outcome}: {attributes.get('reason')}"
                    f" {attributes.get('detail')}"
                )
            problems, snap = await read_until(
                page, lambda s: result_problems(s, succeeded), 60, pids
            )
            await page.screenshot(result_png)
            if problems:
                raise fail("the result did not show", problems, snap, result_png)
            card = card_text(snap, "Last calibration") or []
            ok(
                f"after the run: Result {shown(card, 'Result')}, SoC spread after"
                f" {shown(card, 'SoC spread after')}, re-anchored"
                f" {shown(card, 'Re-anchored')}; screenshot {result_png}"
            )
        finally:
            await devtools.close()
    ok(
        f"calibration tried as the README says:"
        f" {time.monotonic() - started:.0f} s from start to result"
    )
    return 0


def main() -> int:
    """Entry point."""
    parser = browser_arguments("Watch a demo calibration in Chromium")
    parser.add_argument("--artifacts", required=True, help="directory for the screenshots")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds for the run")
    return run_check("demo calibration check", run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
