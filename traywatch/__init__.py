"""traywatch: is it your connection, or is Meta down?"""

__version__ = "0.1.0"
