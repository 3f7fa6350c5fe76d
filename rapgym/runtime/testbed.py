"""A two-node testbed on one machine: network namespaces joined by veth pairs, a ``tbf`` uplink per user.

Layout for ``N`` users (namespaces and interfaces carry a unique prefix ``rgf<pid>``):

- one cloud namespace ``<prefix>c`` and one device namespace ``<prefix>d<i>`` per user;
- user ``i``'s veth pair ``<prefix>u<i>`` (device side, ``10.77.<i>.1/24``) -- ``<prefix>v<i>`` (cloud side,
  ``10.77.<i>.2/24``);
- on the device side a ``tbf`` qdisc (the uplink): rate set with :meth:`Testbed.set_rate_mbps` (which
  wakes the qdisc after the change), a fixed burst of :data:`BURST_BYTES` and a fixed queue limit of
  :data:`LIMIT_BYTES` (so a rate change never drops queued packets); TCP's minimum RTO on the device
  routes is :data:`RTO_MIN_MS`. The cloud-to-device direction (the small replies) is not shaped.

This kernel has no ``netem``, so no delay is shaped: the runtime adds the RTT itself (see
:mod:`rapgym.runtime.cloud`). A rate of 0 (an outage) cannot be expressed by ``tbf``; it is set to
:data:`MIN_RATE_MBPS` and the simulator replays the rates as applied (:func:`applied_rates`).

Setup and teardown are idempotent: every namespace of a previous run whose process is gone is removed at
setup, and :meth:`Testbed.close` (also on ``with`` exit and at interpreter exit) removes this run's.
Deleting a namespace deletes the veth ends and qdiscs inside it, so nothing is left behind.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import re
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass, field

import numpy as np

from rapgym.errors import RapgymError

__all__ = ["TestbedError", "Testbed", "check_requirements", "enter_netns", "remove_stale", "applied_rates",
           "socket_in_netns", "MIN_RATE_MBPS", "BURST_BYTES", "LIMIT_BYTES", "RTO_MIN_MS", "PREFIX"]

PREFIX = "rgf"
"""Prefix of every namespace this module creates (``rgf<pid>c``, ``rgf<pid>d<i>``)."""
MIN_RATE_MBPS = 0.008
"""Lowest rate the tbf is set to (8 kbit/s); trace rates below it (outages) are raised to it."""
BURST_BYTES = 1600
"""tbf bucket, bytes: one full Ethernet frame (the least tbf takes), so an idle link bursts at most that."""
RTO_MIN_MS = 10_000
"""TCP's minimum retransmission timeout on the device routes, ms: packets held by the shaper during an outage
(up to this long) are not retransmitted spuriously (the link never loses a packet: see :data:`LIMIT_BYTES`)."""
LIMIT_BYTES = 8 * 2**20
"""tbf queue limit, bytes: large so that TCP never loses a packet to the shaper."""
MAX_USERS = 64
_CLONE_NEWNET = 0x40000000


class TestbedError(RapgymError):
    """The testbed cannot be built here: a missing binary, capability or kernel feature (named)."""

    __test__ = False  # not a pytest class


SBIN_DIRS = ("/usr/sbin", "/sbin")
"""Where iproute2 lives on most distributions; searched after ``PATH`` (a non-login root shell may lack them)."""


def tool_path(tool: str) -> str | None:
    """Absolute path of ``tool`` on ``PATH`` or in :data:`SBIN_DIRS`, ``None`` if absent."""
    return shutil.which(tool, path=os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRS]))


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run((tool_path(tool) or tool, *args), capture_output=True, text=True, check=False)


def check_requirements() -> None:
    """Raise :class:`TestbedError` naming what is missing: the ``ip`` or ``tc`` binary, root / CAP_NET_ADMIN,
    network-namespace support."""
    for tool in ("ip", "tc"):
        if tool_path(tool) is None:
            raise TestbedError(f"the {tool!r} binary (iproute2) is not on PATH nor in {', '.join(SBIN_DIRS)}; install iproute2")
    if os.geteuid() != 0:
        raise TestbedError("network namespaces and tc need root (CAP_NET_ADMIN and CAP_SYS_ADMIN); run as root")
    if not os.path.exists("/proc/self/ns/net"):
        raise TestbedError("this kernel has no network namespaces (/proc/self/ns/net missing)")


def enter_netns(name: str) -> None:
    """Move the calling (single-threaded) process into network namespace ``name`` (``setns(2)``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open(f"/var/run/netns/{name}") as handle:
        if libc.setns(handle.fileno(), _CLONE_NEWNET) != 0:
            raise TestbedError(f"setns into network namespace {name!r} failed: {os.strerror(ctypes.get_errno())}")


def socket_in_netns(name: str) -> socket.socket:
    """A UDP socket living in network namespace ``name``, made by a helper thread (``setns`` moves only the thread)."""
    made: dict[str, object] = {}

    def make() -> None:
        try:
            enter_netns(name)
            made["socket"] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        except (OSError, TestbedError) as exc:
            made["error"] = exc

    thread = threading.Thread(target=make)
    thread.start()
    thread.join()
    if "error" in made:
        raise TestbedError(f"cannot open a socket in namespace {name!r}: {made['error']}")
    return made["socket"]  # type: ignore[return-value]


def _namespaces() -> list[str]:
    out = _run("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(include_pid: int | None = None) -> list[str]:
    """Delete every ``rgf<pid>...`` namespace whose process is gone (or whose pid is ``include_pid``); return them."""
    removed = []
    for name in _namespaces():
        match = re.fullmatch(rf"{PREFIX}(\d+)[cd]\d*", name)
        if match and (int(match.group(1)) == include_pid or not _pid_alive(int(match.group(1)))):
            _run("ip", "netns", "del", name)
            removed.append(name)
    return removed


def applied_rates(rates_mbps: np.ndarray) -> np.ndarray:
    """The rates the tbf actually applies for trace rates ``rates_mbps`` (Mbit/s): floored at :data:`MIN_RATE_MBPS`."""
    return np.maximum(np.asarray(rates_mbps, dtype=np.float64), MIN_RATE_MBPS)


@dataclass
class Testbed:
    __test__ = False  # not a pytest class

    """The namespaces, veth pairs and tbf qdiscs of one run with ``num_users`` device nodes.

    Use as a context manager (or call :meth:`setup` and :meth:`close`).
    """

    num_users: int
    rate_mbps: float = 10.0
    prefix: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}")
    wake_after_change: bool = True
    """Wake the qdisc after each rate change (see :meth:`set_rate_mbps`); ``False`` only to measure the effect."""
    _up: bool = field(default=False, init=False)
    _kick: list = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.num_users <= MAX_USERS:
            raise TestbedError(f"num_users must be in 1..{MAX_USERS}, got {self.num_users}")

    @property
    def cloud_ns(self) -> str:
        return f"{self.prefix}c"

    def device_ns(self, user: int) -> str:
        return f"{self.prefix}d{user}"

    def device_if(self, user: int) -> str:
        return f"{self.prefix}u{user}"

    @staticmethod
    def cloud_addr(user: int) -> str:
        """Address of the cloud end of user ``user``'s link."""
        return f"10.77.{user}.2"

    def _must(self, *args: str) -> None:
        result = _run(*args)
        if result.returncode != 0:
            raise TestbedError(f"`{' '.join(args)}` failed: {result.stderr.strip() or result.stdout.strip()}")

    def setup(self) -> Testbed:
        """Create the namespaces, links and shapers (first removing stale ones and any of this prefix)."""
        check_requirements()
        remove_stale(include_pid=int(self.prefix[len(PREFIX):]) if self.prefix[len(PREFIX):].isdigit() else None)
        atexit.register(self.close)
        self._up = True
        try:
            self._must("ip", "netns", "add", self.cloud_ns)
            self._must("ip", "-n", self.cloud_ns, "link", "set", "lo", "up")
            for i in range(self.num_users):
                ns, dev, peer = self.device_ns(i), self.device_if(i), f"{self.prefix}v{i}"
                self._must("ip", "netns", "add", ns)
                self._must("ip", "-n", ns, "link", "set", "lo", "up")
                self._must("ip", "link", "add", dev, "netns", ns, "type", "veth", "peer", "name", peer, "netns", self.cloud_ns)
                self._must("ip", "-n", ns, "addr", "add", f"10.77.{i}.1/24", "dev", dev)
                self._must("ip", "-n", self.cloud_ns, "addr", "add", f"{self.cloud_addr(i)}/24", "dev", peer)
                self._must("ip", "-n", ns, "link", "set", dev, "up")
                self._must("ip", "-n", self.cloud_ns, "link", "set", peer, "up")
                self._must("ip", "-n", ns, "route", "replace", f"10.77.{i}.0/24", "dev", dev, "proto", "kernel", "scope", "link",
                           "src", f"10.77.{i}.1", "rto_min", f"{RTO_MIN_MS}ms")
                self._tbf("add", i, self.rate_mbps)
                self._kick.append(socket_in_netns(ns))
        except TestbedError as exc:
            self.close()
            if "tbf" in str(exc) and "unknown" in str(exc).lower():
                raise TestbedError(f"this kernel has no tbf qdisc (sch_tbf): {exc}") from None
            raise
        return self

    def _tbf(self, verb: str, user: int, rate_mbps: float) -> None:
        rate = int(round(float(applied_rates(rate_mbps)) * 1e6))
        self._must("tc", "-n", self.device_ns(user), "qdisc", verb, "dev", self.device_if(user), "root", "tbf",
                   "rate", f"{rate}bit", "burst", str(BURST_BYTES), "limit", str(LIMIT_BYTES))

    def set_rate_mbps(self, user: int, rate_mbps: float) -> None:
        """Change user ``user``'s uplink rate (Mbit/s; below :data:`MIN_RATE_MBPS` it is raised to it).

        ``tc qdisc change`` does not re-arm tbf's watchdog: a queue that was waiting for tokens at the old
        rate (up to 1.5 s per packet at 8 kbit/s) would sleep on after an outage ends. One 1-byte datagram
        to the cloud's discard port right after the change wakes the qdisc so the new rate applies at once.
        """
        self._tbf("change", user, rate_mbps)
        if self.wake_after_change:
            self._kick[user].sendto(b"k", (self.cloud_addr(user), 9))

    def close(self) -> None:
        """Remove this run's namespaces (idempotent)."""
        if not self._up:
            return
        self._up = False
        for sock in self._kick:
            sock.close()
        self._kick.clear()
        for name in _namespaces():
            if name == self.cloud_ns or re.fullmatch(rf"{self.prefix}d\d+", name):
                _run("ip", "netns", "del", name)
        atexit.unregister(self.close)

    def __enter__(self) -> Testbed:
        return self.setup()

    def __exit__(self, *exc: object) -> None:
        self.close()
