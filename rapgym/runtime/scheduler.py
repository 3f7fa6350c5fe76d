"""The cloud's reservation scheduler: user ``i`` owns a slice ``f_i`` of the cloud (``docs/model.md §1``).

The simulator gives user ``i`` a reserved slice: a tail job of ``c`` whole-cloud seconds takes ``c / f_i``
and capacity a user leaves idle is not given to others. One worker runs the jobs at full speed, so the
slice is enforced in virtual time (as in virtual-clock / weighted fair queueing): job ``j`` of user ``i``
ready at ``r_j`` (its last byte plus ``rtt/2``) has virtual start ``S_j = max(r_j, F_i)``, where ``F_i`` is
the virtual finish of the user's previous job, and virtual finish ``F_j = S_j + exec_j / f_j`` with
``exec_j`` the *measured* execution time. The worker runs the pending job of least virtual start (each
user's jobs in order); its reply is released at ``max(F_j, end_j)``. With shares summing to at most 1 a
job is late by at most one other job's execution (non-preemptive), which the comparison shows.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from rapgym.errors import RapgymError

__all__ = ["Job", "ReservationScheduler"]


@dataclass
class Job:
    """A tail job: ``user``, ``ready_s`` (absolute s), effective compute ``share`` in (0, 1], any ``payload``."""

    user: int
    ready_s: float
    share: float
    payload: Any = None


@dataclass
class ReservationScheduler:
    """Per-user FIFO queues of tail jobs and each user's virtual finish time (s)."""

    num_users: int
    _queues: list[deque] = field(init=False)
    _finish: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self._queues = [deque() for _ in range(self.num_users)]
        self._finish = [0.0] * self.num_users

    def push(self, job: Job) -> None:
        """Queue ``job`` behind the user's earlier jobs."""
        if not 0 <= job.user < self.num_users:
            raise RapgymError(f"job user {job.user} out of range; allowed: 0..{self.num_users - 1}")
        if not 0.0 < job.share <= 1.0:
            raise RapgymError(f"job share {job.share} out of range; allowed: (0, 1]")
        self._queues[job.user].append(job)

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues)

    def virtual_start(self, job: Job) -> float:
        """``S = max(ready, F_user)`` of a job at the head of its user's queue."""
        return max(job.ready_s, self._finish[job.user])

    def next_ready_s(self) -> float | None:
        """Earliest ready time among the queued head jobs, or ``None`` if nothing is queued."""
        heads = [q[0].ready_s for q in self._queues if q]
        return min(heads) if heads else None

    def pop(self, now_s: float) -> tuple[Job, float] | None:
        """The ready (``ready_s <= now_s``) head job of least virtual start, and that start (ties: lower user);
        ``None`` if no head job is ready."""
        heads = [q[0] for q in self._queues if q and q[0].ready_s <= now_s]
        if not heads:
            return None
        job = min(heads, key=lambda j: (self.virtual_start(j), j.user))
        start = self.virtual_start(job)
        self._queues[job.user].popleft()
        return job, start

    def finish(self, job: Job, virtual_start_s: float, exec_s: float) -> float:
        """Record that ``job`` ran for ``exec_s`` seconds; return its virtual finish ``S + exec / share``."""
        done = virtual_start_s + exec_s / job.share
        self._finish[job.user] = done
        return done
