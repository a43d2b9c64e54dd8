"""Wires the monitor to Qt: timers drive it, the cycle runner feeds it, the tray renders it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from traywatch import monitor
from traywatch.config import Config
from traywatch.model import Observations
from traywatch.monitor import MonitorState
from traywatch.notify import ACTION_DETAILS, ACTION_PAUSE
from traywatch.ui.dialogs import DetailsDialog
from traywatch.ui.notifications import NotificationSink
from traywatch.ui.tray import PAUSE_HOUR, PAUSE_RESUME, PAUSE_TOMORROW, Tray
from traywatch.ui.worker import CycleRunner
from traywatch.verdict import Verdict

log = logging.getLogger(__name__)


class Controller(QObject):
    def __init__(
        self,
        config: Config,
        *,
        tray: Tray,
        runner: CycleRunner,
        sink: NotificationSink,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.tray = tray
        self.runner = runner
        self.sink = sink
        self.clock = clock
        self.state: MonitorState = monitor.initial(config.monitor, clock())
        self.details: DetailsDialog | None = None
        self.cycles = 0

        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(int(config.monitor.tick * 1000))
        self.tick_timer.timeout.connect(self._tick)
        # One single-shot timer armed for the next due check: no polling between checks.
        self.check_timer = QTimer(self)
        self.check_timer.setSingleShot(True)
        self.check_timer.timeout.connect(self._schedule)

        runner.finished.connect(self._cycle_finished)
        runner.failed.connect(self._cycle_failed)
        tray.check_now.connect(self.check_now)
        tray.pause.connect(self.pause)
        tray.show_details.connect(self.show_details)
        sink.action.connect(self._notification_action)

    def start(self) -> None:
        self.tray.render(monitor.view(self.state))
        self.tick_timer.start()
        self._schedule()

    def stop(self) -> None:
        self.tick_timer.stop()
        self.check_timer.stop()

    def _tick(self) -> None:
        epoch = self.state.epoch
        self.state = monitor.tick(self.state, self.clock())
        if self.state.epoch != epoch:
            log.info("the clock jumped: the machine slept; checking again now")
        self._render()
        self._schedule()

    def _schedule(self) -> None:
        now = self.clock()
        if monitor.due(self.state, now):
            self._start_cycle()
            return
        if self.state.running is None:
            self.check_timer.start(max(0, int((self.state.next_check - now) * 1000)))

    def _start_cycle(self) -> None:
        self.check_timer.stop()
        self.state, token = monitor.start_cycle(self.state)
        log.debug("starting check cycle %d", token)
        self.runner.run(token, self.config.catalog, self.config.check)

    def _cycle_finished(self, token: int, observations: Observations, verdict: Verdict) -> None:
        self.cycles += 1
        self.state, notes = monitor.cycle_done(self.state, token, verdict, self.clock())
        log.info("check done in %.0f ms: %s (%s)", observations.duration_ms, verdict.kind.value, verdict.headline)
        self._render()
        for note in notes:
            self.sink.post(note)
        self._schedule()

    def _cycle_failed(self, token: int, reason: str) -> None:
        self.state = monitor.cycle_failed(self.state, token, self.clock())
        self._schedule()

    def _render(self) -> None:
        self.tray.render(monitor.view(self.state))

    def check_now(self) -> None:
        self.state = monitor.check_now(self.state, self.clock())
        self._schedule()

    def network_changed(self) -> None:
        log.info("the network changed; checking again now")
        self.state = monitor.network_changed(self.state, self.clock())
        self._schedule()

    def pause(self, how: str) -> None:
        now = self.clock()
        until = {
            PAUSE_HOUR: now + 3600,
            PAUSE_TOMORROW: monitor.tomorrow_morning(now),
            PAUSE_RESUME: None,
        }[how]
        self.state = monitor.pause(self.state, until)
        log.info("notifications paused until %s", until)
        self._render()

    def show_details(self) -> None:
        if self.details is None:
            self.details = DetailsDialog()
        evidence = self.state.verdict.evidence if self.state.verdict else ()
        self.details.show_view(monitor.view(self.state), evidence)

    def _notification_action(self, action: str) -> None:
        if action == ACTION_PAUSE:
            self.pause(PAUSE_HOUR)
        elif action in (ACTION_DETAILS, "default"):
            self.show_details()
