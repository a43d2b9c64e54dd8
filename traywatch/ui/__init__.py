"""The Qt front: tray icon, menus and dialogs. The only package that imports PySide6."""
