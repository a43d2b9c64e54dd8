"""Runs probe cycles on the asyncio thread and brings their verdicts back as queued signals."""

from __future__ import annotations

import concurrent.futures
import logging

from PySide6.QtCore import QObject, Signal

from traywatch.catalog import Catalog
from traywatch.loop_thread import LoopThread
from traywatch.model import Observations, ProbeSettings
from traywatch.statuspage import StatusPageWatch
from traywatch.tiers import judge
from traywatch.vantage import VantageWatch

log = logging.getLogger(__name__)


class CycleRunner(QObject):
    # Emitted from the loop thread; Qt queues it to the receiver's (GUI) thread.
    finished = Signal(int, object, object)  # token, Observations, Verdict (None: a light cycle saw trouble)
    failed = Signal(int, str)

    def __init__(self, loop: LoopThread, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loop = loop

    def run(
        self,
        token: int,
        catalog: Catalog,
        settings: ProbeSettings,
        status_page: StatusPageWatch | None = None,
        *,
        looks_wrong: bool = False,
        vantage: VantageWatch | None = None,
        light: bool = False,
    ) -> None:
        from traywatch.probes import run_cycle  # after the icon is up: the network stack loads then

        cycle = run_cycle(catalog, settings, status_page, looks_wrong=looks_wrong, vantage=vantage)
        future = self.loop.submit(cycle)
        future.add_done_callback(lambda f: self._done(token, f, light))

    def _done(self, token: int, future: concurrent.futures.Future[Observations], light: bool) -> None:
        try:
            observations = future.result()
            verdict = judge(observations, light_cycle=light)
        except concurrent.futures.CancelledError:
            return
        except Exception as exc:
            log.exception("a check cycle failed")
            self.failed.emit(token, f"{type(exc).__name__}")
            return
        self.finished.emit(token, observations, verdict)
