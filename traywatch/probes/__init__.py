"""Layered network probes (DNS, TCP, TLS, HTTP) run concurrently on asyncio with httpx."""

from traywatch.probes.cycle import ProbeSettings, run_cycle

__all__ = ["ProbeSettings", "run_cycle"]
