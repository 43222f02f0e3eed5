"""The report sender's pacer: never above MaxSendRate in any one-second window, not needlessly below."""

from __future__ import annotations

import itertools
import threading

from quarterdeck.reports.sending import WindowPacer


class FakeTime:
    """A clock that only moves when someone sleeps (and by a little jitter when asked)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.overshoot = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds + self.overshoot


def windows_ok(times: list[float], rate: int) -> bool:
    """No half-open one-second window [t, t+1) holds more than `rate` sends."""
    return all(times[i + rate] - times[i] >= 1.0 for i in range(len(times) - rate))


def test_eight_sends_at_two_a_second_take_at_least_three_and_a_half_seconds() -> None:
    clock = FakeTime()
    pacer = WindowPacer(2, monotonic=clock.monotonic, sleep=clock.sleep)
    released = []
    for _ in range(8):
        pacer.wait_turn()
        released.append(clock.now)
    assert released[-1] - released[0] >= 3.5
    assert windows_ok(released, 2)
    # not needlessly slow: within the 1% safety margin of the ideal 3.5 s
    assert released[-1] - released[0] <= 3.5 * 1.011


def test_a_late_wake_up_never_squeezes_the_next_send_closer() -> None:
    # Given sleeps that overshoot by 20 ms on some turns and not on others
    clock = FakeTime()
    pacer = WindowPacer(2, monotonic=clock.monotonic, sleep=clock.sleep)
    released = []
    for n in range(10):
        clock.overshoot = 0.02 if n % 2 else 0.0
        pacer.wait_turn()
        released.append(clock.now)
    # Then every gap is measured from the real release, so no window holds three
    assert all(b - a >= 0.5 for a, b in itertools.pairwise(released))
    assert windows_ok(released, 2)


def test_time_spent_between_sends_counts_towards_the_gap() -> None:
    clock = FakeTime()
    pacer = WindowPacer(2, monotonic=clock.monotonic, sleep=clock.sleep)
    pacer.wait_turn()
    clock.now += 2.0  # rendering the next report took a while
    before = clock.now
    pacer.wait_turn()
    assert clock.now == before  # no needless wait


def test_threads_take_turns() -> None:
    # Given twelve threads sending through one pacer at 50 a second
    released: list[float] = []
    lock = threading.Lock()

    class Recording(WindowPacer):
        def wait_turn(self) -> None:
            super().wait_turn()
            with lock:
                assert self._last is not None
                released.append(self._last)  # the release time the pacer granted

    pacer = Recording(50)
    threads = [threading.Thread(target=pacer.wait_turn) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then the releases are a full interval apart, whatever order the threads ran in
    released.sort()
    assert len(released) == 12
    assert all(b - a >= 1 / 50 for a, b in itertools.pairwise(released))


def test_a_slow_first_request_cannot_arrive_close_to_the_second() -> None:
    # Given a pacer at 1 a second, and a first send whose request takes 80 ms to reach SES
    # (a new connection) while the second one arrives at once
    clock = FakeTime()
    pacer = WindowPacer(1, monotonic=clock.monotonic, sleep=clock.sleep)
    arrived = []
    for delay in (0.08, 0.0, 0.0):
        pacer.wait_turn()
        clock.now += delay
        arrived.append(clock.now)  # SES receives it ...
        clock.now += 0.005
        pacer.answered()  # ... and answers
    # Then no one-second window at SES holds two of them
    assert windows_ok(arrived, 1), [round(t - arrived[0], 3) for t in arrived]
    # And the pace stays within the margin and the answer time of the rate
    assert arrived[-1] - arrived[0] <= 2 * (1.01 + 0.005) + 0.08


def test_the_rate_is_asked_for_only_when_a_second_send_needs_it() -> None:
    # Given a pacer whose rate comes from the account (a call to SES)
    asked = []

    def account_rate() -> float:
        asked.append(1)
        return 2.0

    clock = FakeTime()
    pacer = WindowPacer(account_rate, monotonic=clock.monotonic, sleep=clock.sleep)
    # When one message is sent, the account is not asked
    pacer.wait_turn()
    pacer.answered()
    assert asked == []
    # When a second one is, it is asked once, and the gap is the account's
    start = clock.now
    pacer.wait_turn()
    pacer.wait_turn()
    assert asked == [1]
    assert clock.now - start >= 0.5


def test_the_plain_mail_pacer_holds_the_windows_too() -> None:
    # Given the pacer every other email uses (magic links, nudges), at 1 a second, with
    # sleeps that overshoot on some turns
    from quarterdeck.mail import SendPacer

    clock = FakeTime()
    pacer = SendPacer(1, monotonic=clock.monotonic, sleep=clock.sleep)
    released = []
    for n in range(6):
        clock.overshoot = 0.03 if n % 2 else 0.0
        pacer.wait_turn()
        released.append(clock.now)
        pacer.answered()
    assert windows_ok(released, 1)
