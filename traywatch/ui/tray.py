"""The tray icon: renders a monitor View and forwards what the user asks for."""

from __future__ import annotations

import textwrap

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from traywatch.monitor import clock_time
from traywatch.ui.icons import IconSet
from traywatch.view import Display, View

PAUSE_HOUR = "hour"
PAUSE_TOMORROW = "tomorrow"
PAUSE_RESUME = "resume"
MUTE_HOUR = "hour"
MUTE_8H = "8h"
MUTE_BACK = "back"
UNMUTE = "unmute"


def tooltip(view: View) -> str:
    lines = [view.headline]
    if view.checked_at is not None:
        lines.append(f"Last checked {clock_time(view.checked_at)}")
    if view.paused_until is not None:
        lines.append(f"Notifications paused until {clock_time(view.paused_until)}")
    return "\n".join(lines)


class Tray(QObject):
    check_now = Signal()
    pause = Signal(str)
    mute = Signal(str, str)  # service id, how long (MUTE_* or UNMUTE)
    show_details = Signal()
    open_settings = Signal()
    quit = Signal()

    def __init__(self, icons: IconSet, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icons = icons
        self.view: View | None = None
        self.icon = QSystemTrayIcon(icons[Display.CHECKING], self)
        self.icon.setToolTip("traywatch: checking…")
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self._rebuild_menu)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.notices: dict[str, str] = {}  # lines shown in the menu: where notifications go, errors

    def show(self) -> None:
        self.icon.show()

    def set_notice(self, key: str, text: str) -> None:
        self.notices[key] = text

    def render(self, view: View) -> None:
        if view == self.view:
            return  # repainting an XEmbed icon costs more than every other idle task together
        self.view = view
        self.icon.setIcon(self.icons.get(view.display, paused=view.paused))
        self.icon.setToolTip(tooltip(view))

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.menu.popup(QCursor.pos())

    def popup(self) -> None:
        geometry = self.icon.geometry()
        self.menu.popup(geometry.bottomLeft() if geometry.isValid() else QCursor.pos())

    def _rebuild_menu(self) -> None:
        # Built from the current view each time it opens, so it is never stale.
        menu = self.menu
        menu.clear()
        view = self.view
        if view is not None:
            self._info(view.headline, bold=True)
            # A menu item cannot wrap: long explanations become several short lines.
            for line in textwrap.wrap(view.explanation, 64):
                self._info(line)
            if view.rows:
                menu.addSeparator()
            for row in view.rows:
                where = f" at {row.layer}" if row.layer and row.state != "up" else ""
                latency = f" · {row.latency}" if row.latency != "–" else ""
                muted = " · muted" if row.muted else ""
                self._info(f"{row.name}: {row.state}{where}{latency}{muted}")
            if view.checked_at is not None:
                menu.addSeparator()
                self._info(f"Last checked {clock_time(view.checked_at)}")
        for notice in self.notices.values():
            # Wrapped like the explanation: one long line would stretch the menu off the screen.
            for line in textwrap.wrap(notice, 64):
                self._info(line)
        menu.addSeparator()
        self._action("Details…", self.show_details.emit)
        self._action("Check now", self.check_now.emit)
        pause_menu = menu.addMenu("Pause notifications")
        paused = view is not None and view.paused_until is not None
        for label, key in (("For 1 hour", PAUSE_HOUR), ("Until tomorrow", PAUSE_TOMORROW)):
            action = pause_menu.addAction(label)
            action.triggered.connect(lambda _=False, k=key: self.pause.emit(k))
        resume = pause_menu.addAction("Resume")
        resume.setEnabled(paused)
        resume.triggered.connect(lambda _=False: self.pause.emit(PAUSE_RESUME))
        if view is not None and view.rows:
            self._mute_menu(view)
        menu.addSeparator()
        self._action("Settings…", self.open_settings.emit)
        self._action("Quit", self.quit.emit)

    def _mute_menu(self, view: View) -> None:
        mute_menu = self.menu.addMenu("Mute a service")
        for row in view.rows:
            service_menu = mute_menu.addMenu(f"{row.name} (muted)" if row.muted else row.name)
            choices = (("For 1 hour", MUTE_HOUR), ("For 8 hours", MUTE_8H), ("Until it's back", MUTE_BACK))
            for label, how in (*choices, ("Unmute", UNMUTE)):
                action = service_menu.addAction(label)
                action.setEnabled(row.muted if how == UNMUTE else True)
                action.triggered.connect(lambda _=False, s=row.service_id, h=how: self.mute.emit(s, h))

    def _info(self, text: str, bold: bool = False) -> QAction:
        # Said, not a shortcut: a "&" from a status page must show as itself, not underline a letter.
        action = self.menu.addAction(text.replace("&", "&&"))
        action.setEnabled(False)
        if bold:
            font = action.font()
            font.setBold(True)
            action.setFont(font)
        return action

    def _action(self, text: str, slot: object) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(slot)
        return action
