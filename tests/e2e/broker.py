"""A real Mosquitto broker on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MOSQUITTO_PATHS = ("mosquitto", "/usr/sbin/mosquitto")


def find_mosquitto() -> str:
    """The mosquitto binary, or a clear failure (scripts/test installs it)."""
    for candidate in MOSQUITTO_PATHS:
        found = shutil.which(candidate)
        if found:
            return found
    msg = (
        "mosquitto is not installed: run scripts/test (it installs it) or apt-get install mosquitto"
    )
    raise RuntimeError(msg)


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def mosquitto(workdir: Path) -> Iterator[int]:
    """Run mosquitto on 127.0.0.1:<free port>; yield the port; stop it afterwards."""
    binary = find_mosquitto()
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "log_type error\nlog_type warning\n"
    )
    log = (workdir / "mosquitto.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - fixed binary, our own config file
        [binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                msg = f"mosquitto exited early: see {workdir / 'mosquitto.log'}"
                raise RuntimeError(msg)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
