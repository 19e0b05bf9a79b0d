"""Tests of lstm_course.grading.remote: a test cell's view of the student's objects behaves as in one kernel."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course.grading.remote import (StudentCodeError, StudentProcess, StudentProcessDied, StudentSession,
                                       runtime_folder)

STUDENT_CODE = """
import collections
import numpy as np

Cache = collections.namedtuple("Cache", "x y")

def forward(x):
    return 2 * x, Cache(x, 2 * x)

def backward(dout, cache):
    return dout * 2 + 0 * cache.x

def scale_all(arrays, factor=2.0):
    for array in arrays:
        array *= factor

def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))

def draw():
    return np.random.rand(3)

class Counter:
    def __init__(self, start):
        self.count = start
    def add(self, k):
        self.count += k
        return self
"""


@pytest.fixture
def runtime(tmp_path):
    return runtime_folder(tmp_path)


@pytest.fixture
def session(runtime):
    session = StudentSession(StudentProcess(runtime, memory_mb=1024, cpu_s=60), timeout=10)
    assert session.execute(STUDENT_CODE, "answer") is None
    yield session
    session.process.kill()


def name(session, key: str):
    value, bound = session.remote_name(key)
    assert bound, f"{key} should be defined"
    return value


def test_objects_that_are_not_data_stay_in_the_student_process_and_come_back(session):
    x = np.arange(3.0)
    out, cache = name(session, "forward")(x)
    np.testing.assert_array_equal(out, 2 * x)
    assert "Cache" in repr(cache)
    np.testing.assert_array_equal(cache.y, 2 * x)  # attribute read in the student process
    np.testing.assert_array_equal(name(session, "backward")(np.ones(3), cache), np.full(3, 2.0))
    counter = name(session, "Counter")(5)
    assert counter.add(2).add(3).count == 10
    assert getattr(counter, "missing", "default") == "default"


def test_the_callers_arrays_are_never_changed_by_a_call(session):
    arrays = [np.ones(2), np.arange(3.0)]
    assert name(session, "scale_all")(arrays, factor=3.0) is None
    np.testing.assert_array_equal(arrays[0], np.ones(2))
    np.testing.assert_array_equal(arrays[1], np.arange(3.0))


def test_in_place_changes_of_a_declared_function_reach_the_callers_arrays_even_inside_a_list(session):
    scale_all, bound = session.remote_name("scale_all", in_place=True)
    arrays = [np.ones(2), np.arange(3.0)]
    assert scale_all(arrays, factor=3.0) is None
    np.testing.assert_array_equal(arrays[0], np.full(2, 3.0))
    np.testing.assert_array_equal(arrays[1], 3 * np.arange(3.0))


def test_the_callers_errstate_applies_in_the_student_process(session):
    sigmoid = name(session, "naive_sigmoid")
    with np.errstate(over="ignore"):
        assert sigmoid(np.array([-1000.0]))[0] == 0
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        sigmoid(np.array([-1000.0]))


def test_seeding_in_the_test_cell_seeds_the_students_draws_and_only_that_way(session):
    np.random.seed(3)
    expected = np.random.rand(6)
    np.random.seed(3)
    draw = name(session, "draw")
    np.testing.assert_array_equal(draw(), expected[:3])
    np.testing.assert_array_equal(draw(), expected[3:])  # the student's stream goes on between calls
    np.random.seed(3)
    np.testing.assert_array_equal(np.random.rand(3), expected[:3])  # the grader's state never takes the student's
    np.random.seed(4)
    expected = np.random.rand(3)
    np.random.seed(4)
    np.testing.assert_array_equal(draw(), expected)  # a new seed in the grader is sent again


def test_errors_keep_their_builtin_type_or_become_student_code_errors(session):
    assert session.execute("def fails():\n    raise KeyError('k')\nclass Custom(Exception): pass\n"
                           "def custom():\n    raise Custom('mine')", "answer2") is None
    with pytest.raises(KeyError):
        name(session, "fails")()
    with pytest.raises(StudentCodeError, match="Custom: mine"):
        name(session, "custom")()
    assert session.remote_name("never_defined") == (None, False)


def test_a_call_past_the_time_limit_kills_the_process_and_stale_handles_say_so(session, tmp_path):
    counter = name(session, "Counter")(1)
    assert session.execute("import time\ndef sleepy():\n    time.sleep(60)", "answer3") is None
    session.timeout = 1
    session.start_cell()
    with pytest.raises(StudentProcessDied, match="time limit of 1 s"):
        name(session, "sleepy")()
    assert not session.process.alive
    session.replace(StudentProcess(runtime_folder(tmp_path), memory_mb=1024, cpu_s=60))
    with pytest.raises(StudentProcessDied, match="stopped earlier"):
        counter.add(1)


def test_objects_of_the_grader_cannot_be_passed_to_the_student(session):
    with pytest.raises(TypeError, match="cannot be passed to the student's code"):
        name(session, "forward")(lambda: 1)
