"""The cloud's reservation scheduler: virtual start/finish by hand, order, and no borrowing of idle shares."""

from __future__ import annotations

import pytest

from rapgym.errors import RapgymError
from rapgym.runtime.scheduler import Job, ReservationScheduler


def test_a_lone_user_still_gets_only_its_share() -> None:
    """docs/model.md §1: capacity a user leaves idle is not given to others -> c / f even when alone."""
    s = ReservationScheduler(2)
    s.push(Job(0, ready_s=1.0, share=0.25))
    job, start = s.pop(now_s=1.0)
    assert start == 1.0
    assert s.finish(job, start, exec_s=0.01) == pytest.approx(1.04)


def test_back_to_back_jobs_queue_in_virtual_time() -> None:
    s = ReservationScheduler(1)
    for ready in (0.0, 0.001):
        s.push(Job(0, ready, 0.5))
    job, start = s.pop(0.01)
    assert start == 0.0 and s.finish(job, start, 0.01) == pytest.approx(0.02)
    job, start = s.pop(0.02)
    assert start == pytest.approx(0.02)  # waits for the user's slice, not its own ready time
    assert s.finish(job, start, 0.01) == pytest.approx(0.04)


def test_least_virtual_start_runs_first_and_users_stay_fifo() -> None:
    s = ReservationScheduler(2)
    s.push(Job(0, 0.0, 0.5, "a0"))
    s.push(Job(0, 0.0, 0.5, "a1"))
    s.push(Job(1, 0.005, 0.5, "b0"))
    job, start = s.pop(0.01)
    assert job.payload == "a0"
    s.finish(job, start, 0.01)  # user 0 busy in virtual time until 0.02
    job, start = s.pop(0.01)
    assert job.payload == "b0" and start == 0.005  # 0.005 < 0.02: user 1 goes before a1
    s.finish(job, start, 0.002)
    job, start = s.pop(0.01)
    assert job.payload == "a1" and start == pytest.approx(0.02)
    assert s.pop(1.0) is None and len(s) == 0


def test_jobs_not_ready_are_not_popped() -> None:
    s = ReservationScheduler(1)
    s.push(Job(0, 2.0, 1.0))
    assert s.pop(1.0) is None
    assert s.next_ready_s() == 2.0
    assert s.pop(2.0) is not None


@pytest.mark.parametrize(("user", "share", "field"), [(2, 0.5, "user"), (0, 0.0, "share"), (0, 1.5, "share")])
def test_bad_jobs_are_rejected_by_field(user: int, share: float, field: str) -> None:
    with pytest.raises(RapgymError, match=field):
        ReservationScheduler(2).push(Job(user, 0.0, share))
