"""Run Home Assistant (``hass``) from the demo venv on Python 3.13.0.

Home Assistant 2026.2.3 declares Python >= 3.13.2 and its entry point refuses anything older,
although it runs fine on 3.13.0 (the test suite runs it there). This wrapper skips only that
version check; every argument goes to Home Assistant's own ``main()`` unchanged.
"""

from __future__ import annotations

import sys

import homeassistant.__main__ as ha_main


def _accept_running_python() -> None:
    """Accept any 3.13 (scripts/lib/common.sh's find_python already picked one)."""


ha_main.validate_python = _accept_running_python

if __name__ == "__main__":
    sys.exit(ha_main.main())
