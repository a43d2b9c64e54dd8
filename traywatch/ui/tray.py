"""The tray icon: renders a monitor View and forwards what the user asks for."""

from __future__ import annotations

import textwrap
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from traywatch.monitor import clock_time, tomorrow_morning
from traywatch.ui.icons import IconSet
from traywatch.view import Display, View

if TYPE_CHECKING:
    # Named only when the menu is first opened: PySide6 builds a class's wrapper when it is
    # first named, and the Qt namespace's costs 0.6 MB, QAction's 0.2 MB.
    from PySide6.QtGui import QAction

WORDS_WIDTH = 360  # pixels: the menu's width, whatever the words
WORDS_LINES = 4  # lines kept for the headline and its reason

PAUSE_HOUR = "hour"
PAUSE_TOMORROW = "tomorrow"
PAUSE_RESUME = "resume"
MUTE_HOUR = "hour"
MUTE_8H = "8h"
MUTE_BACK = "back"
UNMUTE = "unmute"


TOOLTIP_LIMIT = 127  # what Windows shows of a tray icon's tooltip


def tooltip(view: View) -> str:
    """What, why (the reason's first clause: "This network is blocking Messenger.") and when;
    the why is left out rather than cut where the whole would not fit."""
    lines = []
    if view.checked_at is not None:
        lines.append(f"Last checked {clock_time(view.checked_at)}")
    if view.paused_until is not None:
        lines.append(f"Notifications paused until {clock_time(view.paused_until)}")
    why = view.explanation.split(". ", 1)[0].split(": ", 1)[0].rstrip(".")
    with_why = "\n".join([view.headline, f"{why}.", *lines])
    return with_why if why and len(with_why) <= TOOLTIP_LIMIT else "\n".join([view.headline, *lines])


class Tray(QObject):
    check_now = Signal()
    pause = Signal(str)
    mute = Signal(str, str)  # service id, how long (MUTE_* or UNMUTE)
    show_details = Signal()
    open_settings = Signal()
    quit = Signal()

    def __init__(self, icons: IconSet, icon: QSystemTrayIcon | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icons = icons
        self.view: View | None = None
        if icon is None:
            icon = QSystemTrayIcon(icons[Display.CHECKING])
            icon.setToolTip("traywatch: checking…")
        icon.setParent(self)  # an icon shown before the rest loaded is adopted, not replaced
        self.icon = icon
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
        # Built from the current view each time it opens, so it is never stale; the same lines in
        # every state (the words in a box of fixed height), so nothing moves under the pointer.
        menu = self.menu
        menu.clear()
        view = self.view
        headline = view.headline if view is not None else "Checking…"
        reason = view.explanation if view is not None else "The first check is running."
        self._words(headline, reason)
        rows = view.rows if view is not None else ()
        if rows:
            menu.addSeparator()
        for row in rows:
            latency = f" · {row.latency}" if row.latency != "–" and row.state == "up" else ""
            muted = " · muted" if row.muted else ""
            entry = self._line(f"{row.name}: {row.words}{latency}{muted}", self.show_details.emit)
            entry.setIcon(self.icons[row.display])
        menu.addSeparator()
        checking = view is None or view.checking
        if checking:
            self._info("Checking…")
        else:
            assert view is not None
            self._info(
                f"Last checked {clock_time(view.checked_at)}" if view.checked_at is not None else "Not checked yet"
            )
        for notice in self.notices.values():
            # Wrapped like the reason: one long line would stretch the menu off the screen.
            for line in textwrap.wrap(notice, 64):
                self._info(line)
        menu.addSeparator()
        self._action("Details…", self.show_details.emit)
        check = self._action("Check now", self.check_now.emit)
        check.setEnabled(not checking)  # it is checking already: "Checking…" says so
        pause_menu = menu.addMenu("Pause notifications")
        paused = view is not None and view.paused_until is not None
        tomorrow = f"Until tomorrow {clock_time(tomorrow_morning(time.time()))}"
        for label, key in (("For 1 hour", PAUSE_HOUR), (tomorrow, PAUSE_TOMORROW)):
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

    def _words(self, headline: str, reason: str) -> None:
        """The headline and its reason in ordinary (not greyed) text, wrapped in a box whose
        height does not change with the length of the words."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QLabel, QWidgetAction

        label = QLabel()
        label.setObjectName("tray-words")
        label.setTextFormat(Qt.TextFormat.PlainText)  # words from a server are never markup
        label.setWordWrap(True)
        label.setText(f"{headline}\n{reason}")
        label.setFixedWidth(WORDS_WIDTH)
        lines = label.fontMetrics().lineSpacing()
        label.setFixedHeight(lines * WORDS_LINES + 8)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        label.setContentsMargins(8, 4, 8, 4)
        action = QWidgetAction(self.menu)
        action.setDefaultWidget(label)
        action.setText(headline)  # what screen readers and tests read
        self.menu.addAction(action)

    def _line(self, text: str, slot: object) -> QAction:
        """An ordinary line that opens Details when chosen."""
        action = self.menu.addAction(text.replace("&", "&&"))
        action.triggered.connect(slot)
        return action

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
