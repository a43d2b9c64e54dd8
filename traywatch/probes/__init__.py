"""Layered network probes (DNS, TCP, TLS, HTTP) run concurrently on asyncio."""

from traywatch.model import ProbeSettings
from traywatch.probes.cycle import run_cycle

__all__ = ["ProbeSettings", "run_cycle"]
