"""Garbage collection on the GUI thread only.

Python collects cycles in whichever thread happens to allocate when a threshold is crossed: on
the probe thread, that could finalize a Qt widget's wrapper there, which crashes Qt. So automatic
collection is off while the app runs, and the GUI thread collects on a timer instead: the young
generation often, everything now and then."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

YOUNG_EVERY_MS = 1000
FULL_EVERY = 60  # young collections between full ones


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._count = 0
        self.timer = QTimer(self)
        self.timer.setInterval(YOUNG_EVERY_MS)
        self.timer.timeout.connect(self.collect)

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()

    def collect(self) -> int:
        self._count += 1
        generation = 2 if self._count % FULL_EVERY == 0 else 0
        return gc.collect(generation)
