"""One icon per display state, drawn as SVG so they stay crisp at any scale."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from traywatch.monitor import Display
from traywatch.resources import icon_path


class IconSet:
    def __init__(self) -> None:
        self._icons = {display: QIcon(str(icon_path(display.value))) for display in Display}

    def __getitem__(self, display: Display) -> QIcon:
        return self._icons[display]
