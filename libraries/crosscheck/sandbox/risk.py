"""Static risk scoring: what the code could do, read from its syntax tree.

Each finding carries a weight and the line it was found on; the score is the sum
of the weights. Code that scores at or above the threshold (``RISK_THRESHOLD``,
30 in seed 003) is refused before any container starts. Code that does not parse
is reported as a syntax error, never as safe.

Code over ``MAX_CODE_BYTES`` is refused before it is parsed (parsing is the
costly part: 10 MB of source would take tens of seconds and gigabytes). The
parse is serialised with a lock (CPython's AST constructor keeps its recursion
depth in per-interpreter state, so concurrent parses can fail with
``SystemError``), and code the parser or the scanner cannot handle (a
``RecursionError``, ``MemoryError`` or ``SystemError`` of the parser) is
reported as "cannot score" and refused, never raised.

Scoring is a first filter, not the boundary: the container's layers contain
whatever scores low and still misbehaves.
"""

from __future__ import annotations

import ast
import threading
from dataclasses import asdict, dataclass, field

from crosscheck.variables.targets import RISK_THRESHOLD

DEFAULT_THRESHOLD = RISK_THRESHOLD
MAX_CODE_BYTES = 100 * 1024
_PARSE_LOCK = threading.Lock()


def size_problem(code: str) -> str | None:
    """Why ``code`` is too large to score or run (``None`` when it is not); cheap for any size."""
    if len(code) > MAX_CODE_BYTES:  # at least one byte a character: over the cap without encoding it
        return f"code is {len(code)} characters, over the {MAX_CODE_BYTES}-byte cap on source"
    size = len(code.encode("utf-8", "surrogatepass"))
    if size > MAX_CODE_BYTES:
        return f"code is {size} bytes, over the {MAX_CODE_BYTES}-byte cap on source"
    return None


# module imported -> (weight, reason)
DANGEROUS_MODULES = {
    "subprocess": (40, "runs other programs"),
    "ctypes": (50, "calls C functions and reads raw memory"),
    "socket": (30, "opens network connections"),
    "importlib": (30, "imports modules chosen at run time"),
    "multiprocessing": (20, "starts processes"),
    "pty": (40, "spawns shells on a terminal"),
    "shutil": (15, "copies and deletes file trees"),
    "pickle": (20, "unpickling runs arbitrary code"),
    "marshal": (20, "loads code objects"),
    "urllib": (25, "makes network requests"),
    "http": (25, "makes network requests"),
    "requests": (25, "makes network requests"),
    "ftplib": (25, "makes network requests"),
    "smtplib": (25, "makes network requests"),
    "telnetlib": (25, "makes network requests"),
    "signal": (10, "changes signal handling"),
    "resource": (10, "changes resource limits"),
    "mmap": (15, "maps memory and files"),
    "sys": (5, "reaches interpreter internals"),
    "os": (10, "reaches the operating system"),
    "builtins": (20, "replaces built-in functions"),
}

# called name (dotted) -> (weight, reason)
DANGEROUS_CALLS = {
    "os.system": (50, "runs a shell command"),
    "os.popen": (50, "runs a shell command"),
    "os.fork": (40, "forks the process"),
    "os.forkpty": (40, "forks the process"),
    "os.kill": (30, "signals other processes"),
    "os.killpg": (30, "signals other processes"),
    "os.remove": (20, "deletes files"),
    "os.unlink": (20, "deletes files"),
    "os.rmdir": (20, "deletes directories"),
    "os.removedirs": (20, "deletes directories"),
    "os.chmod": (15, "changes file modes"),
    "os.chown": (15, "changes file owners"),
    "os.setuid": (40, "changes user id"),
    "os.setgid": (40, "changes group id"),
    "os.putenv": (15, "changes the environment"),
    "shutil.rmtree": (30, "deletes a file tree"),
    "eval": (40, "evaluates code from a string"),
    "exec": (40, "executes code from a string"),
    "compile": (20, "compiles code from a string"),
    "__import__": (30, "imports a module chosen at run time"),
    "globals": (10, "reads the module namespace"),
    "vars": (10, "reads object namespaces"),
    "breakpoint": (20, "starts a debugger"),
    "input": (5, "reads standard input"),
    "pickle.loads": (20, "unpickling runs arbitrary code"),
    "pickle.load": (20, "unpickling runs arbitrary code"),
    "marshal.loads": (20, "loads code objects"),
}
for _name in (
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "spawnl",
    "spawnle",
    "spawnlp",
    "spawnlpe",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "posix_spawn",
    "posix_spawnp",
):
    DANGEROUS_CALLS[f"os.{_name}"] = (50, "replaces or spawns a process")

# attribute names that mark sandbox-escape reflection
DUNDER_ESCAPES = {
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__code__",
    "__bases__",
    "__mro__",
    "__class__",
    "__dict__",
    "__getattribute__",
    "__closure__",
    "__loader__",
    "__spec__",
}
WRITE_MODES = set("wax+")


@dataclass
class Finding:
    rule: str
    weight: int
    line: int
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RiskReport:
    score: int = 0
    findings: list[Finding] = field(default_factory=list)
    syntax_error: str | None = None
    threshold: int = DEFAULT_THRESHOLD
    unscored: str | None = None  # why the code could not be scored (too large, parser failure): refused

    @property
    def refused(self) -> bool:
        return self.syntax_error is not None or self.unscored is not None or self.score >= self.threshold

    @property
    def verdict(self) -> str:
        if self.syntax_error is not None:
            return "syntax error"
        if self.unscored is not None:
            return "cannot score: refused"
        return "refused" if self.score >= self.threshold else "allowed"

    def rows(self) -> list[tuple]:
        return [(f.line, f.rule, f.weight, f.detail) for f in self.findings]


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.aliases: dict[str, str] = {}

    def add(self, rule: str, weight: int, node: ast.AST, detail: str) -> None:
        self.findings.append(Finding(rule, weight, getattr(node, "lineno", 0), detail))

    def _module(self, name: str, node: ast.AST) -> None:
        top = name.split(".")[0]
        if top in DANGEROUS_MODULES:
            weight, why = DANGEROUS_MODULES[top]
            self.add(f"import {top}", weight, node, f"imports {name}: {why}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(alias.name, node)
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._module(module, node)
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        if name:
            head, _, rest = name.partition(".")
            full = self.aliases.get(head, head) + (f".{rest}" if rest else "")
            if full in DANGEROUS_CALLS:
                weight, why = DANGEROUS_CALLS[full]
                self.add(full, weight, node, f"calls {full}(): {why}")
            elif full.startswith("subprocess."):
                self.add(full, 40, node, f"calls {full}(): runs other programs")
            elif full in ("getattr", "setattr", "delattr"):
                target = node.args[1] if len(node.args) > 1 else None
                name = target.value if isinstance(target, ast.Constant) and isinstance(target.value, str) else None
                if name is None or name.startswith("__"):
                    shown = name if name is not None else "a computed name"
                    self.add(
                        f"reflection {full}",
                        20,
                        node,
                        f"calls {full}() with {shown}: reaches attributes hidden from the reader",
                    )
            elif full == "open" or full.endswith(".open") and full.split(".")[0] in ("io", "os", "builtins"):
                self._open(node, full)
        self.generic_visit(node)

    def _open(self, node: ast.Call, name: str) -> None:
        mode = None
        if len(node.args) > 1:
            mode = node.args[1]
        for kw in node.keywords:
            if kw.arg in ("mode", "flags"):
                mode = kw.value
        if name == "os.open":
            if mode is not None:
                self.add("open for writing", 15, node, "os.open() with flags: may create or change files")
            return
        if mode is None:
            return
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
            if WRITE_MODES & set(mode.value):
                self.add("open for writing", 15, node, f"opens a file with mode {mode.value!r}")
        else:
            self.add("open for writing", 15, node, "opens a file with a computed mode")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in DUNDER_ESCAPES:
            self.add(f"reflection {node.attr}", 25, node, f"reads {node.attr}: a known route out of restrictions")
        elif (dotted := _dotted(node)) in ("sys.modules", "os.environ") and dotted is not None:
            self.add(dotted, 10, node, f"reads {dotted}")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self.add("reflection __builtins__", 25, node, "reads __builtins__")
        self.generic_visit(node)


def score(code: str, threshold: int = DEFAULT_THRESHOLD) -> RiskReport:
    """Score ``code``; a syntax error is reported in ``syntax_error``, code that cannot be
    scored (over the size cap, or beyond the parser) in ``unscored``; both are refused."""
    too_large = size_problem(code)
    if too_large:
        return RiskReport(unscored=too_large, threshold=threshold)
    try:
        with _PARSE_LOCK:
            tree = ast.parse(code, filename="<sandbox>")
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        return RiskReport(score=0, syntax_error=f"{exc.msg} ({where})", threshold=threshold)
    except ValueError as exc:  # e.g. source with NUL bytes
        return RiskReport(score=0, syntax_error=str(exc), threshold=threshold)
    except (RecursionError, MemoryError, SystemError) as exc:
        return RiskReport(
            unscored=f"the parser failed ({type(exc).__name__}: {exc or 'too deeply nested'})", threshold=threshold
        )
    scanner = _Scanner()
    try:
        scanner.visit(tree)
    except RecursionError:
        return RiskReport(unscored="the syntax tree is too deeply nested to scan (RecursionError)", threshold=threshold)
    findings = sorted(scanner.findings, key=lambda f: (f.line, -f.weight))
    return RiskReport(score=sum(f.weight for f in findings), findings=findings, threshold=threshold)
