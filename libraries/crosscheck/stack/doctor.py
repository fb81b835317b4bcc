"""``crosscheck doctor``: every service checked, one line per problem with its fix.

Each service says its own problems (:meth:`crosscheck.services.base.Service.doctor`);
this module adds what only the stack knows: stacks left behind, servers that crashed.
"""

from __future__ import annotations

from crosscheck import services
from crosscheck.stack import registry


def stack_problems() -> list[str]:
    found: list[str] = []
    for key in registry.all_keys():
        state = registry.read_state(key) or {}
        if not registry.supervisor_alive(state):
            found.append(f"stack {key}: its supervisor is gone but its record remains; fix: crosscheck down")
            continue
        for name, entry in state.get("services", {}).items():
            if entry.get("status") in ("unavailable", "held"):
                continue  # nothing to start (no system under test), or down on purpose for a while
            crashes = entry.get("restarts", 0) - entry.get("requested_restarts", 0)  # not the asked-for restarts
            if entry.get("status") != "running":
                found.append(
                    f"stack {key}: {name} is {entry.get('status')} "
                    f"({entry.get('error', 'see ' + str(entry.get('log', state.get('logs'))))}); "
                    "fix: crosscheck down, then crosscheck up"
                )
            elif crashes > 0:
                found.append(
                    f"stack {key}: {name} crashed and was restarted {crashes} time(s) "
                    f"(last exit {entry.get('last_exit')}); see {entry.get('log')}"
                )
    return found


def problems() -> list[str]:
    found: list[str] = []
    for service in services.all_services():
        found += service.doctor()
    return found + stack_problems()
