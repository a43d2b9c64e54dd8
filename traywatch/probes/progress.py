"""Which layer a probe is in, and how long each finished layer took."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from traywatch.model import Layer


@dataclass
class Progress:
    clock: Callable[[], float] = time.perf_counter
    layer: Layer = Layer.DNS
    timings: dict[Layer, float] = field(default_factory=dict)
    _layer_start: float = 0.0

    def enter(self, layer: Layer) -> None:
        self.layer = layer
        self._layer_start = self.clock()

    def done(self) -> None:
        self.timings[self.layer] = (self.clock() - self._layer_start) * 1000.0

    def layer_ms(self) -> tuple[tuple[Layer, float], ...]:
        return tuple((layer, round(ms, 1)) for layer, ms in self.timings.items())
