"""Grad mode and anomaly mode are per thread, and every switch restores what it found.

The threaded tests replay issue 14's scenarios with explicit hand-offs between two threads
(no sleeps, no timing); the state machine drives enter/exit sequences in several threads and
checks each thread's modes against a model of its own stack of switches.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from autograd_core import (
    AnomalyError,
    Value,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)


class Worker:
    """A thread that runs the callables it is given, one at a time, and hands back each result."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], Any] | None] = queue.Queue()
        self._results: queue.Queue[tuple[bool, Any]] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._results.put((True, job()))
            except BaseException as err:  # handed to the caller, who re-raises it
                self._results.put((False, err))

    def run(self, job: Callable[[], Any]) -> Any:
        self._jobs.put(job)
        ok, result = self._results.get(timeout=30)
        if not ok:
            raise result
        return result

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)


@pytest.fixture
def workers():
    made = [Worker(), Worker()]
    yield made
    for w in made:
        w.stop()


def _square_grad() -> float:
    """d(x*x)/dx at 3 when recording works: 6.0 (0.0 when nothing was recorded)."""
    x = Value(3.0)
    y = x * x
    y.backward()
    return x.grad


def test_no_grad_in_one_thread_does_not_stop_recording_in_another(workers):
    a, b = workers
    cm = no_grad()
    a.run(cm.__enter__)
    assert a.run(is_grad_enabled) is False
    assert b.run(is_grad_enabled) is True
    assert b.run(_square_grad) == 6.0  # was 0.0: B's graph silently recorded nothing
    assert a.run(_square_grad) == 0.0
    a.run(lambda: cm.__exit__(None, None, None))
    assert a.run(_square_grad) == 6.0


def test_overlapping_no_grad_blocks_leave_recording_on(workers):
    a, b = workers
    cm_a, cm_b = no_grad(), no_grad()
    a.run(cm_a.__enter__)  # A enters, B enters, A exits, B exits
    b.run(cm_b.__enter__)
    a.run(lambda: cm_a.__exit__(None, None, None))
    assert a.run(is_grad_enabled) is True
    assert b.run(is_grad_enabled) is False
    b.run(lambda: cm_b.__exit__(None, None, None))
    assert a.run(is_grad_enabled) and b.run(is_grad_enabled) and is_grad_enabled()
    assert _square_grad() == 6.0  # every later fit in the process still learns


def test_detect_anomaly_in_one_thread_does_not_raise_in_another(workers):
    a, b = workers
    cm = detect_anomaly()
    a.run(cm.__enter__)
    assert b.run(lambda: (Value(float("inf")) * 0.0).data) != b.run(lambda: 0.0)  # NaN, no error
    with pytest.raises(AnomalyError):
        a.run(lambda: Value(float("inf")) * 0.0)
    assert b.run(is_anomaly_enabled) is False and a.run(is_anomaly_enabled) is True
    a.run(lambda: cm.__exit__(None, None, None))
    assert a.run(is_anomaly_enabled) is False


def test_a_new_thread_starts_with_the_defaults():
    seen = []
    with no_grad(), detect_anomaly():
        t = threading.Thread(target=lambda: seen.append((is_grad_enabled(), is_anomaly_enabled())))
        t.start()
        t.join()
    assert seen == [(True, False)]


def test_switches_as_decorators_restore_the_state_they_found():
    @no_grad()
    def inference() -> bool:
        return is_grad_enabled()

    @enable_grad()
    def training() -> bool:
        return is_grad_enabled()

    assert inference() is False and is_grad_enabled()
    with no_grad():
        assert training() is True
        assert not is_grad_enabled()
        assert inference() is False
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_one_switch_restores_only_its_own_mode():
    grad_off, check_on = no_grad(), detect_anomaly()
    grad_off.__enter__()
    check_on.__enter__()
    grad_off.__exit__(None, None, None)  # closed out of order: anomaly mode stays as it is
    assert is_grad_enabled() and is_anomaly_enabled()
    check_on.__exit__(None, None, None)
    assert is_grad_enabled() and not is_anomaly_enabled()


# --- a state machine over enter/exit sequences in several threads ------------------------------

SWITCHES: dict[str, tuple[Callable[[], Any], int, bool]] = {
    # name: (factory, which mode it sets: 0 grad / 1 anomaly, the value it sets)
    "no_grad": (no_grad, 0, False),
    "enable_grad": (enable_grad, 0, True),
    "detect_anomaly": (detect_anomaly, 1, True),
}
THREADS = 3


def _observe() -> tuple[bool, bool, bool, bool]:
    """What this thread sees: the two modes, and what ops actually do under them."""
    recorded = not (Value(2.0) * 3.0).is_leaf
    try:
        Value(float("inf")) * 0.0
        raised = False
    except AnomalyError:
        raised = True
    return is_grad_enabled(), is_anomaly_enabled(), recorded, raised


class ModesAcrossThreads(RuleBasedStateMachine):
    """Each thread has a stack of open switches; its modes must follow that stack alone."""

    def __init__(self) -> None:
        super().__init__()
        self.workers = [Worker() for _ in range(THREADS)]
        self.stacks: list[list[tuple[Any, int, bool, tuple[bool, bool]]]] = [[] for _ in range(THREADS)]
        self.modes = [[True, False] for _ in range(THREADS)]

    @rule(t=st.integers(0, THREADS - 1), name=st.sampled_from(sorted(SWITCHES)))
    def enter(self, t: int, name: str) -> None:
        factory, index, value = SWITCHES[name]
        cm = self.workers[t].run(factory)
        self.workers[t].run(cm.__enter__)
        self.stacks[t].append((cm, index, value, tuple(self.modes[t])))
        self.modes[t][index] = value

    @precondition(lambda self: any(self.stacks))
    @rule(data=st.data(), with_error=st.booleans())
    def exit(self, data: st.DataObject, with_error: bool) -> None:
        t = data.draw(st.sampled_from([i for i, s in enumerate(self.stacks) if s]))
        cm, index, _, found = self.stacks[t].pop()
        if with_error:  # leaving the block by an exception restores the same way, and lets it through
            err = RuntimeError("boom")
            assert not self.workers[t].run(lambda: cm.__exit__(RuntimeError, err, None))
        else:
            self.workers[t].run(lambda: cm.__exit__(None, None, None))
        self.modes[t][index] = found[index]

    @rule(t=st.integers(0, THREADS - 1), name=st.sampled_from(sorted(SWITCHES)))
    def call_decorated(self, t: int, name: str) -> None:
        factory, index, value = SWITCHES[name]
        inner = factory()(lambda: (is_grad_enabled(), is_anomaly_enabled()))
        seen = self.workers[t].run(inner)
        expected = list(self.modes[t])
        expected[index] = value
        assert seen == tuple(expected)

    @invariant()
    def every_thread_sees_its_own_modes(self) -> None:
        for t, worker in enumerate(self.workers):
            grad, anomaly, recorded, raised = worker.run(_observe)
            assert (grad, anomaly) == tuple(self.modes[t])
            assert raised == anomaly
            assert recorded == grad

    def teardown(self) -> None:
        for t, worker in enumerate(self.workers):
            while self.stacks[t]:
                cm = self.stacks[t].pop()[0]
                worker.run(lambda cm=cm: cm.__exit__(None, None, None))
            assert worker.run(lambda: (is_grad_enabled(), is_anomaly_enabled())) == (True, False)
            worker.stop()


TestModesAcrossThreads = ModesAcrossThreads.TestCase
TestModesAcrossThreads.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
