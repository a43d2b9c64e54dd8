"""The Qt front: tray icon, menus and dialogs. The only package that imports PySide6.

PySide6's import hook is kept from reading the source of every module imported after it
(``feature_hook``): about 7 MB less memory and less start-up work (docs/performance.md). Nothing
else is loaded here: the tray icon shows before the core is imported (``ui.app``).
"""

import PySide6.QtCore  # noqa: F401

from traywatch.ui.feature_hook import skip_source_reads

skip_source_reads()
