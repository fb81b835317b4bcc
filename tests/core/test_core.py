"""The library base: components share the context, keywords are tagged, cleanup runs and fails tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from robotlibcore import keyword

from crosscheck.core import Cleanup, Component, CrosscheckLibrary


class _Ctx:
    def __init__(self):
        self.log: list[str] = []


class _Things(Component[_Ctx]):
    @keyword
    def make_thing(self, name: str) -> None:
        self.ctx.log.append(f"made {name}")
        self.ctx.cleanup.add(f"thing {name}", lambda: self.ctx.log.append(f"removed {name}"))

    @keyword
    def get_thing_count(self) -> int:
        return sum(1 for line in self.ctx.log if line.startswith("made"))


class _Toy(CrosscheckLibrary):
    COMPONENTS = (_Things,)

    def __init__(self):
        super().__init__(_Ctx())


def test_components_share_the_context_and_keywords_are_tagged_by_concern():
    lib = _Toy()
    assert set(lib.get_keyword_names()) >= {"make_thing", "get_thing_count"}
    lib.run_keyword("make_thing", ["a"], {})
    assert lib.run_keyword("get_thing_count", [], {}) == 1
    assert lib.get_keyword_tags("get_thing_count") == ["test_core", "Getter"]
    assert lib.get_keyword_tags("make_thing") == ["test_core"]


def test_cleanup_undoes_newest_first_runs_every_action_and_reports_failures():
    done: list[str] = []
    cleanup = Cleanup("crosscheck.Toy")
    cleanup.push("test", "t")
    cleanup.add("first", lambda: done.append("first"))
    cleanup.add("broken", lambda: 1 / 0)
    cleanup.add("last", lambda: done.append("last"))
    scope, errors = cleanup.pop()
    assert scope.kind == "test" and done == ["last", "first"]
    assert errors == ["broken: division by zero"]
    assert cleanup.pop()[1] == []  # the run's scope stays and is empty


def test_a_failing_cleanup_fails_its_test_and_a_passing_one_leaves_it_passed(tmp_path):
    (tmp_path / "toy.py").write_text(
        textwrap.dedent("""
        from robotlibcore import keyword
        from crosscheck.core import Component, CrosscheckLibrary

        class Ctx:
            pass

        class Things(Component):
            @keyword
            def make_thing(self, name, removable=True):
                def undo():
                    if removable != True and removable != "True":
                        raise RuntimeError(f"{name} is stuck")
                self.ctx.cleanup.add(f"thing {name}", undo)

        class toy(CrosscheckLibrary):
            COMPONENTS = (Things,)
            def __init__(self):
                super().__init__(Ctx())
    """)
    )
    (tmp_path / "suite.robot").write_text(
        textwrap.dedent("""
        *** Settings ***
        Library    toy.py

        *** Test Cases ***
        Removable
            Make Thing    a

        Stuck
            Make Thing    b    removable=False

        Failing And Stuck
            Make Thing    c    removable=False
            Fail    own failure
    """)
    )
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--output", "out.xml", "--log", "NONE", "--report", "NONE", "suite.robot"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    from robot.api import ExecutionResult

    tests = {t.name: t for t in ExecutionResult(str(tmp_path / "out.xml")).suite.all_tests}
    assert tests["Removable"].status == "PASS", run.stdout
    assert tests["Stuck"].status == "FAIL"
    assert tests["Stuck"].message == "crosscheck.toy cleanup failed: thing b: b is stuck"
    assert tests["Failing And Stuck"].message.startswith("own failure\n\nAlso: crosscheck.toy cleanup failed: thing c")
