"""The cloud process: receives uploads from every user, runs the tails under the reservation scheduler.

One receiver thread per user connection reads each upload, stamps its last byte, acknowledges it
(:data:`~rapgym.runtime.wire.ACK`) and queues the tail job, ready ``rtt/2`` after the last byte (this
kernel has no ``netem``: the one-way delay is added here, the return half by the device). One worker
runs the jobs in the order of :class:`~rapgym.runtime.scheduler.ReservationScheduler`; a release thread
sends each reply at ``max(virtual finish, end of execution)``. Times are ``time.monotonic()``
(CLOCK_MONOTONIC, shared by every process of the machine).
"""

from __future__ import annotations

import heapq
import socket
import threading
import time
from dataclasses import dataclass

import torch

from rapgym.runtime.scheduler import Job, ReservationScheduler
from rapgym.runtime.testbed import enter_netns
from rapgym.runtime.wire import ACK, HELLO, REPLY, UPLOAD, WireError, recv_exact, unpack_tensor
from rapgym.runtime.workload import ModelSpec, SplitModel

__all__ = ["CloudConfig", "cloud_main"]


@dataclass(frozen=True)
class CloudConfig:
    """``num_users`` connections expected on ``port``; ``rtt_s`` emulated; ``netns`` to enter (``None``: stay)."""

    num_users: int
    spec: ModelSpec
    port: int
    rtt_s: float
    netns: str | None = None


class _Cloud:
    def __init__(self, cfg: CloudConfig) -> None:
        self.cfg = cfg
        self.model = SplitModel(cfg.spec)
        self.scheduler = ReservationScheduler(cfg.num_users)
        self.jobs = threading.Condition()
        self.releases: list[tuple[float, int, bytes, int]] = []
        self.release_cv = threading.Condition()
        self.conns: dict[int, socket.socket] = {}
        self.locks = {u: threading.Lock() for u in range(cfg.num_users)}
        self.open_conns = cfg.num_users

    def send(self, user: int, data: bytes) -> None:
        with self.locks[user]:
            try:
                self.conns[user].sendall(data)
            except OSError:
                pass  # the device has gone; its run is over

    def receive(self, user: int) -> None:
        sock = self.conns[user]
        try:
            while True:
                task, cut, bits, share, length = UPLOAD.unpack(recv_exact(sock, UPLOAD.size))
                payload = recv_exact(sock, length)
                last = time.monotonic()
                self.send(user, ACK.pack(1, task, last))
                with self.jobs:
                    self.scheduler.push(Job(user, last + self.cfg.rtt_s / 2, share, (task, cut, bits, payload)))
                    self.jobs.notify()
        except (WireError, OSError):
            with self.jobs:
                self.open_conns -= 1
                self.jobs.notify()

    def work(self) -> None:
        while True:
            with self.jobs:
                picked = self.scheduler.pop(time.monotonic())
                while picked is None:
                    if self.open_conns == 0 and len(self.scheduler) == 0:
                        return
                    ready = self.scheduler.next_ready_s()
                    self.jobs.wait(None if ready is None else max(ready - time.monotonic(), 0.0))
                    picked = self.scheduler.pop(time.monotonic())
            job, virtual_start = picked
            task, cut, bits, payload = job.payload
            start = time.monotonic()
            x = unpack_tensor(payload, bits, self.model.shapes[cut], raw=cut == 0)
            x = self.model.to_float(x) if cut == 0 else torch.from_numpy(x)
            logits = self.model.tail(x, cut).numpy().astype(">f4").tobytes()
            end = time.monotonic()
            with self.jobs:
                finish = self.scheduler.finish(job, virtual_start, end - start)
            with self.release_cv:
                heapq.heappush(self.releases, (max(finish, end), task, REPLY.pack(2, task, job.ready_s, start, end) + logits, job.user))
                self.release_cv.notify()

    def release(self, stop: threading.Event) -> None:
        while True:
            with self.release_cv:
                while not self.releases or self.releases[0][0] > time.monotonic():
                    if stop.is_set() and not self.releases:
                        return
                    wait = 0.05 if not self.releases else self.releases[0][0] - time.monotonic()
                    self.release_cv.wait(max(min(wait, 0.05), 0.0))
                _, _, message, user = heapq.heappop(self.releases)
            self.send(user, message)


def cloud_main(cfg: CloudConfig, ready: object) -> None:
    """Serve ``cfg.num_users`` device connections until all have closed; ``ready.set()`` once listening."""
    if cfg.netns:
        enter_netns(cfg.netns)
    torch.set_num_threads(1)
    cloud = _Cloud(cfg)
    cloud.model.tail(torch.zeros(cloud.model.shapes[0]), 0)  # warm-up
    server = socket.create_server(("0.0.0.0", cfg.port), reuse_port=False, backlog=cfg.num_users)
    ready.set()
    threads = []
    for _ in range(cfg.num_users):
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        (user,) = HELLO.unpack(recv_exact(conn, HELLO.size))
        cloud.conns[user] = conn
        threads.append(threading.Thread(target=cloud.receive, args=(user,), daemon=True))
        threads[-1].start()
    server.close()
    stop = threading.Event()
    releaser = threading.Thread(target=cloud.release, args=(stop,), daemon=True)
    releaser.start()
    cloud.work()
    stop.set()
    releaser.join(timeout=5)
    for conn in cloud.conns.values():
        conn.close()
