"""A device process: one user's frames through the head, the quantizer and the uplink to the cloud.

Frames arrive at the given times (s after the run's epoch). The device is a FIFO: each frame waits for
the previous one, for its slot's decision (cut, bit width, effective compute share, sent by the driver),
then runs the head and packs the crossing tensor; a sender thread writes the frames to the TCP
connection in order (the uplink FIFO); a receiver thread reads the cloud's acknowledgements and replies.
Every stage is timestamped (``time.monotonic()``, shared by all processes) and reported to the driver
as events: ``("head", user, task, t, bytes to upload)``, ``("ack", user, task, send_start, last_byte, bytes)`` and
``("done", user, task, record)``.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

from rapgym.runtime.testbed import enter_netns
from rapgym.runtime.wire import ACK, HELLO, REPLY, UPLOAD, WireError, pack_tensor, recv_exact
from rapgym.runtime.workload import ModelSpec, SplitModel

__all__ = ["DeviceConfig", "device_main"]

@dataclass(frozen=True)
class DeviceConfig:
    """User ``user`` of a run: its ``arrivals`` (s after the run's epoch, which the driver sends first on the
    decision pipe as a ``time.monotonic()`` value), the cloud at ``cloud_addr:port``, slot length ``dt_s``,
    emulated ``rtt_s``, ``netns`` to enter."""

    user: int
    spec: ModelSpec
    arrivals: tuple[float, ...]
    dt_s: float
    cloud_addr: str
    port: int
    rtt_s: float
    netns: str | None = None
    seed: int = 0
    timeout_s: float = 60.0
    device_factor: float = 1.0
    """Emulated slowdown of the device against this host: each device stage (head + pack), once run, is
    stretched to ``device_factor`` times its measured duration by sleeping (the env's ``device_factor``)."""


def _connect(addr: str, port: int, deadline: float) -> socket.socket:
    while True:
        try:
            sock = socket.create_connection((addr, port), timeout=1.0)
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class _Device:
    def __init__(self, cfg: DeviceConfig, decisions: object, events: object) -> None:
        self.cfg, self.decisions, self.events = cfg, decisions, events
        self.model = SplitModel(cfg.spec)
        self.known: dict[int, tuple[int, int, float]] = {}
        self.records: dict[int, dict[str, float]] = {}
        self.lock = threading.Lock()
        self.outbox: queue.Queue = queue.Queue()
        self.pending = 0
        self.all_done = threading.Event()

    def decision(self, slot: int) -> tuple[int, int, float]:
        """``(cut, bit width, effective share)`` of ``slot``, waiting for the driver's ``(slot, cut, bits, share)``."""
        while slot not in self.known:
            msg = self.decisions.recv()
            self.known[msg[0]] = tuple(msg[1:])
        return self.known[slot]

    def finish(self, task: int) -> None:
        record = self.records[task]
        record["latency_s"] = record["end"] - record["arrival"]
        self.events.put(("done", self.cfg.user, task, record))
        with self.lock:
            self.pending -= 1
            if self.pending == 0:
                self.all_done.set()

    def sender(self, sock: socket.socket) -> None:
        while (item := self.outbox.get()) is not None:
            task, frame = item
            with self.lock:
                self.records[task]["send_start"] = time.monotonic()
            sock.sendall(frame)
            with self.lock:
                self.records[task]["sent"] = time.monotonic()

    def receiver(self, sock: socket.socket) -> None:
        logits = int(np.prod(self.model.shapes[-1])) * 4
        try:
            while True:
                kind = recv_exact(sock, 1)[0]
                if kind == 1:
                    _, task, last = ACK.unpack(bytes([kind]) + recv_exact(sock, ACK.size - 1))
                    with self.lock:
                        record = self.records[task]
                        record["last_byte"] = last
                    self.events.put(("ack", self.cfg.user, task, record["send_start"], last, record["tx_bytes"]))
                else:
                    _, task, ready, start, end = REPLY.unpack(bytes([kind]) + recv_exact(sock, REPLY.size - 1))
                    recv_exact(sock, logits)
                    now = time.monotonic()
                    with self.lock:
                        self.records[task].update(cloud_ready=ready, cloud_start=start, cloud_end=end,
                                                  reply=now, end=now + self.cfg.rtt_s / 2)
                    self.finish(task)
        except (WireError, OSError):
            return

    def stretch(self, start: float) -> None:
        """Sleep so that the device stage begun at ``start`` lasts ``device_factor`` times what it took."""
        if self.cfg.device_factor > 1.0:
            time.sleep((self.cfg.device_factor - 1.0) * (time.monotonic() - start))

    def run(self, epoch: float) -> None:
        cfg, model = self.cfg, self.model
        rng = np.random.default_rng(cfg.seed + 1000 * cfg.user)
        self.pending = len(cfg.arrivals)
        if self.pending == 0:
            self.all_done.set()
        for task, a in enumerate(cfg.arrivals):
            image = rng.integers(0, 256, size=cfg.spec.input_shape, dtype=np.uint8)
            wait = epoch + a - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            cut, bits, share = self.decision(int(a // cfg.dt_s))
            start = time.monotonic()
            x = image if cut == 0 else model.head(image, cut)
            head_end = time.monotonic()
            record = {"task": task, "user": cfg.user, "arrival": epoch + a, "cut": cut, "bits": bits, "share": share,
                      "dev_start": start, "head_end": head_end}
            if cut == model.K:
                self.stretch(start)
                head_end = time.monotonic()
                record.update(dev_end=head_end, end=head_end, tx_bytes=0)
                self.records[task] = record
                self.events.put(("head", cfg.user, task, head_end, 0))
                self.finish(task)
                continue
            payload = pack_tensor(image if cut == 0 else x.numpy(), bits, raw=cut == 0)
            frame = UPLOAD.pack(task, cut, bits, share, len(payload)) + payload
            if cut > 0:
                self.stretch(start)
            record.update(dev_end=time.monotonic(), tx_bytes=len(frame))
            with self.lock:
                self.records[task] = record
            self.events.put(("head", cfg.user, task, record["dev_end"], len(frame)))
            self.outbox.put((task, frame))


def device_main(cfg: DeviceConfig, decisions: object, events: object) -> None:
    """Run user ``cfg.user``'s frames; ``events.put(("finished", user, ok))`` at the end."""
    if cfg.netns:
        enter_netns(cfg.netns)
    torch.set_num_threads(1)
    device = _Device(cfg, decisions, events)
    device.model.run(device.model.to_float(np.zeros(cfg.spec.input_shape, np.uint8)), 0, device.model.K)  # warm-up
    sock = _connect(cfg.cloud_addr, cfg.port, time.monotonic() + 60.0)
    sock.sendall(HELLO.pack(cfg.user))
    threads = [threading.Thread(target=device.sender, args=(sock,), daemon=True),
               threading.Thread(target=device.receiver, args=(sock,), daemon=True)]
    for thread in threads:
        thread.start()
    events.put(("connected", cfg.user, True))
    epoch = float(decisions.recv())
    device.run(epoch)
    ok = device.all_done.wait(timeout=max(epoch + (cfg.arrivals[-1] if cfg.arrivals else 0.0) + cfg.timeout_s - time.monotonic(), 1.0))
    device.outbox.put(None)
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    events.put(("finished", cfg.user, ok))
