"""How entities learn of changes: one mechanism, the coordinator's key listeners.

An entity names the keys it shows and the coordinator calls it back when one of them
changes. A key is ``(source, name)``: a reading of a unit or pack (``(pack 3, "soc")``), or
a **topic** of the whole group (source ``None``): :data:`CALIBRATION` (the supervisor's run
moved), :data:`DRIFT` (a new drift analysis) and :data:`SOURCES` (a unit or pack joined:
group entities listen to its keys too). Availability is the one exception, and it is Home
Assistant's own: a source going stale or coming back calls every entity through the
coordinator's ``async_update_listeners`` (``CoordinatorEntity``). No dispatcher signal reaches
an entity (the platforms still hear of a joining source by one, to add its entities:
``dynamic.py``).

An entity registers each key **at once** (settings, protection flags, the calibration's state,
the topics) or **coalesced** (measurements). Coalesced listeners are gathered and called
together once per update interval (the ``entity_interval`` option): each measurement entity
then writes at most once per interval, the latest value, and only if it moved significantly
(``significance.py``). A key that crossed a safety threshold calls its coalesced listeners at
once too. Interval 0 makes every listener an at-once one. The safety monitor is not an entity:
it has its own listener on the coordinator and sees every message before any entity.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .model import SourceId

type ListenKey = tuple[SourceId | None, str]
type KeyListener = Callable[[], None]

CALIBRATION: ListenKey = (None, "calibration")
DRIFT: ListenKey = (None, "drift")
SOURCES: ListenKey = (None, "sources")


class Fanout:
    """Key listeners of one coordinator: called at once, or gathered once per interval."""

    def __init__(self, hass: HomeAssistant, interval: float) -> None:
        """``interval``: seconds between two calls of the coalesced listeners (0: at once)."""
        self._hass = hass
        self.interval = interval
        self._at_once: dict[ListenKey, dict[KeyListener, None]] = {}
        self._coalesced: dict[ListenKey, dict[KeyListener, None]] = {}
        self._pending: dict[KeyListener, None] = {}
        self._unsub_flush: CALLBACK_TYPE | None = None

    @callback
    def add(
        self, keys: Iterable[ListenKey], cb: KeyListener, *, coalesce: bool = False
    ) -> CALLBACK_TYPE:
        """Call ``cb`` when one of ``keys`` changes (coalesced: at most once per interval)."""
        table = self._coalesced if coalesce and self.interval > 0 else self._at_once
        keys = list(keys)
        for key in keys:
            table.setdefault(key, {})[cb] = None

        @callback
        def remove() -> None:
            for key in keys:
                listeners = table.get(key)
                if listeners is not None:
                    listeners.pop(cb, None)
                    if not listeners:
                        del table[key]
            self._pending.pop(cb, None)

        return remove

    @callback
    def notify(self, keys: Iterable[ListenKey], crossed: Collection[ListenKey] = ()) -> None:
        """``keys`` changed (``crossed``: those that crossed a safety threshold).

        Each listener is called once, however many of its keys changed.
        """
        now: dict[KeyListener, None] = {}
        pending = self._pending
        at_once, coalesced = self._at_once, self._coalesced
        for key in keys:
            listeners = at_once.get(key)
            if listeners:
                now.update(listeners)
            listeners = coalesced.get(key)
            if listeners:
                if key in crossed:
                    now.update(listeners)
                else:
                    pending.update(listeners)
        for listener in now:
            listener()
        if pending and self._unsub_flush is None:
            self._unsub_flush = async_call_later(self._hass, self.interval, self._flush)

    @callback
    def _flush(self, _now: object) -> None:
        """Call every coalesced listener whose keys changed since the last flush."""
        self._unsub_flush = None
        pending, self._pending = self._pending, {}
        for listener in pending:
            listener()

    @callback
    def stop(self) -> None:
        """No more flushes (the entry unloads)."""
        if self._unsub_flush is not None:
            self._unsub_flush()
            self._unsub_flush = None
        self._pending.clear()
