"""Shared test setup.

The project's package is imported first: pytest-homeassistant-custom-component ships a
``custom_components`` package of its own, and importing ours here makes Home Assistant find
the ``eg4`` integration.
"""

import custom_components.eg4  # noqa: F401
