"""Garbage collection on the GUI thread only.

Python collects cycles in whichever thread happens to allocate when a threshold is crossed: on
the probe thread, that could finalize a Qt widget's wrapper there, which crashes Qt. So automatic
collection is off while the app runs, and the GUI thread looks at the allocation counts every
five seconds and collects the young generations as Python would have, by its thresholds."""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

EVERY_MS = 5000  # a wake-up costs about 0.2 ms of Python and Qt: not every second
# Python itself defers a full collection until a quarter of the long-lived objects are new; a
# timer cannot see that, so a full one comes at most this often (a whole heap costs ~20 ms).
FULL_EVERY_S = 600


class GuiThreadCollector(QObject):
    """Does what Python's automatic collection would, by its thresholds, but only here."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = 0
        self._last_full = time.monotonic()
        self.timer = QTimer(self)
        self.timer.setInterval(EVERY_MS)
        self.timer.timeout.connect(self.collect)

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def follow(self, timer: QTimer) -> None:
        """Collect on another timer's ticks instead of waking up on its own."""
        self.timer.stop()
        timer.timeout.connect(self.collect)

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()

    def collect(self) -> int:
        """Collect the generation the allocation counts call for, if any (most ticks: none)."""
        counts = gc.get_count()
        now = time.monotonic()
        if counts[2] > self.thresholds[2] and now - self._last_full >= FULL_EVERY_S:
            self._last_full = now
            self.collections += 1
            return gc.collect(2)
        for generation in (1, 0):
            if counts[generation] > self.thresholds[generation]:
                self.collections += 1
                return gc.collect(generation)
        return 0
