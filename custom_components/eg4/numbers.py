"""What counts as a number in a value read from a payload, a store or a form (pure).

Python counts ``True`` as the integer 1, and JSON, MQTT payloads and stored records hand us
``object``: every reader that wants a number asks here, so a flag never passes for a figure.
"""

from __future__ import annotations

import math
from typing import TypeIs


def is_number(value: object) -> TypeIs[int | float]:
    """True for an int or a float (infinite and NaN included), never for a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def finite(value: object) -> float | None:
    """The value as a float when it is a finite number; None otherwise."""
    if not is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None
