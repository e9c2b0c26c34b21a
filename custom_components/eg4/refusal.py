"""The one error for a request refused before anything is written (pure, no HA imports).

Settings validation (``rejected_…``), the calibration's limits (``limit_…``) and its plan
(``plan_…``) raise :class:`RefusedError` with the complete translation key under
``exceptions`` in ``translations/en.json`` and that message's placeholders. Home Assistant's
edge (the entities' write path, the actions) raises it again as a ``ServiceValidationError``
with the same key, so a refusal reads the same wherever it comes from.
"""

from __future__ import annotations


class RefusedError(ValueError):
    """A value, limit or plan refused; ``translation_key`` says which rule refused it."""

    def __init__(self, translation_key: str, **placeholders: str) -> None:
        """Store the complete translation key and the message's placeholders."""
        super().__init__(translation_key)
        self.translation_key = translation_key
        self.translation_placeholders = placeholders
