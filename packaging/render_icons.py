"""Render the app icon to the PNG sizes of the hicolor icon theme: render_icons.py SVG OUT_DIR.

Writes OUT_DIR/<size>x<size>/apps/<name>.png for each size, next to which the SVG itself goes
into scalable/apps. Uses Qt's SVG renderer, offscreen: no display needed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def main() -> None:
    svg, out = Path(sys.argv[1]), Path(sys.argv[2])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        sys.exit(f"render_icons: {svg} is not a valid SVG")
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        target = out / f"{size}x{size}" / "apps" / f"{svg.stem}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):
            sys.exit(f"render_icons: could not write {target}")
    del app


if __name__ == "__main__":
    main()
