"""traywatch: is it your connection, or is Meta down?"""

__version__ = "0.1.0"

# One id for the desktop file, the AppStream metainfo, the icon theme and notifications.
APP_ID = "io.github.traywatch.Traywatch"

# Every request traywatch makes names it, so an operator reading its logs knows what it is.
USER_AGENT = f"traywatch/{__version__} (connectivity check)"
