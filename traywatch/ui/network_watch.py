"""Tells when the network changes, through Qt's QNetworkInformation where a backend exists.

Reachability changes (the default route came or went, a captive portal was detected by the
platform) and transport changes (Wi-Fi to Ethernet, which can keep "online" but change everything)
both call ``on_change``; the monitor then re-checks at once rather than at its next tick.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtNetwork import QNetworkInformation


def watch_network(on_change: Callable[[], None]) -> str:
    """Starts watching; returns where changes come from, or why none will (for the log)."""
    if not QNetworkInformation.loadDefaultBackend():
        return "no network-change backend; relying on the regular checks"
    info = QNetworkInformation.instance()  # set once a backend has loaded
    info.reachabilityChanged.connect(lambda *_: on_change())
    if info.supports(QNetworkInformation.Feature.TransportMedium):
        info.transportMediumChanged.connect(lambda *_: on_change())
    return f"network changes come from the {info.backendName()} backend"
