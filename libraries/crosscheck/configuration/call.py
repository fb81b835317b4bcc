"""Run a Python configuration loader ``module:function`` as a command (``python -m crosscheck.configuration.call``).

    python -m crosscheck.configuration.call module:function FOLDER [ARGUMENTS...]

The function runs in a process of its own, in the working directory and environment the keyword
prepared, with ``FOLDER`` (the copy of the system's folder) first on ``sys.path``. It is called
with the arguments as a list (``function(["--set", "port=1"])``), or with none when it takes none;
the dict it returns is printed as JSON. An exception is the loader refusing the configuration:
its message goes to stderr and the exit code is 2.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys


def main(argv: list[str]) -> int:
    target, folder, *args = argv
    module_name, _, function_name = target.partition(":")
    sys.path.insert(0, folder)
    sys.argv = [target, *args]
    function = getattr(importlib.import_module(module_name), function_name or "main")
    try:
        takes = inspect.signature(function).parameters
        result = function(args) if takes else function()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the loader refused: say why, as a command would
        print(f"{target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
