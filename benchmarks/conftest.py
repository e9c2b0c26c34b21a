"""Fixtures for the benchmarks (Home Assistant test harness, as in tests/integration).

The project's package is imported first: pytest-homeassistant-custom-component ships a
``custom_components`` package of its own, and importing ours here makes Home Assistant find
the ``eg4`` integration.
"""

from __future__ import annotations

import custom_components.eg4  # noqa: F401  # isort: skip
import logging
from collections.abc import Iterator

import pytest

QUIET = (
    "homeassistant",
    "custom_components",
    "simulator",
    "pytest_homeassistant_custom_component",
    "sqlalchemy",
    "sqlalchemy.engine",
    "sqlalchemy.engine.Engine",
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the eg4 custom integration."""
    return


@pytest.fixture(autouse=True)
def warnings_only() -> Iterator[None]:
    """Log at WARNING, as a production Home Assistant does unless told otherwise.

    The test plugin logs INFO to stderr: hundreds of lines per benchmark, some of them (the
    calibration's phase changes) inside the measured path.
    """
    loggers = [logging.getLogger(name) for name in QUIET]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
