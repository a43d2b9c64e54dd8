"""One icon per display state, drawn from SVG so they stay crisp at any scale; while paused, the
same icon with a pause badge in its corner, so the state stays readable under the badge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QIcon

from traywatch.resources import icon_path
from traywatch.view import PAUSE_BADGE, Display

if TYPE_CHECKING:
    from PySide6.QtGui import QPixmap
    from PySide6.QtSvg import QSvgRenderer

_SIZES = (16, 22, 24, 32, 48, 64)
BADGE_SHARE = 0.55  # of the icon's side: big enough to read at 16 px, small enough to see the state


def badged(state: QSvgRenderer, badge: QSvgRenderer, size: int) -> QPixmap:
    # Imported here: PySide6 builds a class's wrapper when it is first named, and QPainter's
    # costs about 1.2 MB that an app that is never paused need not pay.
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QPainter, QPixmap

    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    state.render(painter, QRectF(0, 0, size, size))
    side = size * BADGE_SHARE
    badge.render(painter, QRectF(size - side, size - side, side, side))
    painter.end()
    return pixmap


class IconSet:
    def __init__(self) -> None:
        self._icons = {display: QIcon(str(icon_path(display.value))) for display in Display}
        self._paused: dict[Display, QIcon] = {}

    def __getitem__(self, display: Display) -> QIcon:
        return self._icons[display]

    def get(self, display: Display, *, paused: bool = False) -> QIcon:
        if not paused:
            return self._icons[display]
        icon = self._paused.get(display)
        if icon is None:
            # Made when first needed: most sessions are never paused, and QtSvg costs start-up time.
            from PySide6.QtSvg import QSvgRenderer

            state = QSvgRenderer(str(icon_path(display.value)))
            badge = QSvgRenderer(str(icon_path(PAUSE_BADGE)))
            icon = QIcon()
            for size in _SIZES:
                icon.addPixmap(badged(state, badge, size))
            self._paused[display] = icon
        return icon
