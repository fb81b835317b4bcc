"""Which limit a result names, from its exit code, flags and stderr (no engine needed)."""

import pytest

from crosscheck.sandbox.result import Result


@pytest.mark.parametrize(
    "code, limit",
    [
        (139, "signal 11 (SIGSEGV)"),  # fresh: docker-init exits 128 + n
        (-11, "signal 11 (SIGSEGV)"),  # warm: the agent reports -n
        (134, "signal 6 (SIGABRT)"),
        (-6, "signal 6 (SIGABRT)"),
        (137, "killed (SIGKILL)"),
        (-9, "killed (SIGKILL)"),
        (1, "none"),
        (0, "none"),
    ],
)
def test_exit_codes_above_128_and_negative_codes_name_their_signal(code, limit):
    assert Result(exit_code=code).limit == limit


def test_a_resource_error_before_the_timeout_names_that_limit():
    stderr = (
        'Traceback (most recent call last):\n  File "<string>", line 5, in <module>\n'
        "RuntimeError: can't start new thread\n"
    )
    assert Result(timed_out=True, stderr=stderr).limit == "pids limit (EAGAIN)"
    assert Result(timed_out=True, stderr="MemoryError\n").limit == "memory limit (MemoryError)"
    assert Result(timed_out=True, stderr="").limit == "wall-clock timeout (killed)"
    # a non-resource error before a timeout does not hide the timeout
    assert Result(timed_out=True, stderr="PermissionError: [Errno 13]\n").limit == "wall-clock timeout (killed)"


def test_the_limit_is_read_from_the_whole_stderr_tail():
    fragments = "".join(
        f'  File "<string>", line {i}, in <module>\nTraceback (most recent call last):\n' for i in range(40)
    )
    stderr = "BlockingIOError: [Errno 11] Resource temporarily unavailable\n" + fragments
    assert Result(exit_code=1, stderr=stderr).limit == "pids limit (EAGAIN)"


def test_the_final_exception_wins_over_earlier_lines():
    stderr = "ls: [Errno 2] No such file or directory\nOSError: [Errno 28] No space left on device\n"
    assert Result(exit_code=1, stderr=stderr).limit == "tmpfs full (ENOSPC)"


def test_a_discarded_warm_result_and_unscored_code_are_named():
    assert Result(channel_error="bad frame").limit == "warm pool channel (result discarded)"
    assert Result(refused=True, unscored="too large").limit == "code validation (cannot score)"
