"""Shared test setup.

The project's package is imported first: pytest-homeassistant-custom-component ships a
``custom_components`` package of its own, and importing ours here makes Home Assistant find
the ``eg4`` integration.
"""

import custom_components.eg4  # noqa: F401  # isort: skip
import pytest


@pytest.fixture(autouse=True)
def every_change_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries without an ``entity_interval`` option write every change (interval 0).

    The suite asserts what each message shows; coalescing has tests of its own
    (``tests/integration/test_coalesce.py``), which set the option or restore the default.
    """
    monkeypatch.setattr("custom_components.eg4.coordinator.DEFAULT_ENTITY_INTERVAL", 0)
