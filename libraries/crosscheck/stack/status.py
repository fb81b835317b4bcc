"""``crosscheck status`` and `Log Service Versions`: one row per service, never raising.

Each row names the service, its address (password masked), its mode (configured,
embedded, or the service's own fallback), the version it reports and its state. The
proxy server's row (``toxiproxy``) also lists its proxies, in its state and as ``proxies``.
"""

from __future__ import annotations

from typing import Any

from crosscheck import config, services
from crosscheck.stack import api, registry


def _version(service, url: str) -> str:
    try:
        return service.version(url)
    except BaseException as exc:  # noqa: BLE001 - reported, never raised: status must always print
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        text = str(exc).strip()
        return "unreachable: " + config.scrub(text.splitlines()[0] if text else type(exc).__name__, url)


def rows(probe: bool = True) -> list[dict[str, Any]]:
    """One entry per service of :func:`crosscheck.services.all_services`."""
    state = api.current()
    key = (state or {}).get("key")
    running = (state or {}).get("services", {})
    found = []
    for service in services.all_services():
        name = service.name
        configured = service.configured()
        if configured:
            found.append(
                {
                    "service": name,
                    "address": config.mask_url(configured),
                    "mode": "configured",
                    "version": _version(service, configured) if probe else "",
                    "state": "",
                }
            )
        elif service.embedded and name in running:
            found.append(_embedded_row(name, running[name], key))
        elif service.embedded:
            found.append(
                {
                    "service": name,
                    "address": "",
                    "mode": "embedded",
                    "version": "",
                    "state": "not running (starts on first use, or `crosscheck up`)",
                }
            )
        elif service.unset_address:
            found.append(
                {
                    "service": name,
                    "address": service.unset_address,
                    "mode": service.unset_mode,
                    "version": "",
                    "state": "",
                }
            )
        else:
            url = service.url()
            found.append(
                {
                    "service": name,
                    "address": config.mask_url(url),
                    "mode": "default",
                    "version": _version(service, url) if probe else "",
                    "state": "",
                }
            )
    if api.PROXY in running and api.PROXY not in [row["service"] for row in found]:
        found.append(_embedded_row(api.PROXY, running[api.PROXY], key))
    return found


def _embedded_row(name: str, entry: dict, key: str | None) -> dict[str, Any]:
    row = {
        "service": name,
        "address": entry.get("url", ""),
        "mode": f"embedded ({key})",
        "version": entry.get("version", ""),
        "state": entry.get("status", ""),
        "pid": entry.get("pid") or entry.get("pids"),
        "restarts": entry.get("restarts", 0),
        "error": entry.get("error", ""),
    }
    if "proxies" in entry:
        row["proxies"] = entry["proxies"]
        listed = ", ".join(f"{n} {p['listen']} -> {p['upstream']}" for n, p in sorted(entry["proxies"].items()))
        row["state"] = f"{row['state']}; proxies: {listed or 'none'}"
    return row


def stack_info(state: dict | None = None) -> dict[str, Any]:
    """Which stack serves this process and why (``key``, ``kind``, ``why``, ``logs``, ``started_at``,
    ``name``, ``used_by``), for ``crosscheck status``; ``key`` is None when none runs."""
    state = api.current() if state is None else state
    if not state:
        return {
            "key": None,
            "kind": None,
            "why": "no embedded stack is running: a run starts its own on first use (logs in its output folder, "
            "under stack/), or start one for every run of this installation with `crosscheck up`",
            "logs": None,
            "started_at": None,
            "name": registry.stack_name(),
            "used_by": [],
        }
    key = state["key"]
    kind = key.split("-", 1)[0]
    name = state.get("name") or registry.stack_name()
    if name == registry.installation():
        up = f"started by `crosscheck up` for the installation {name}: every run of it uses this stack"
    else:
        up = f"started by `crosscheck up` as {registry.NAME_ENV}={name}: every run with that name uses this stack"
    why = {
        "up": f"{up}, from any folder, until `crosscheck down`",
        "run": "started on demand by the run it belongs to; it stops when that run ends",
        "private": "a private stack of the process that started it (`Use A Private Stack`)",
    }.get(kind, "")
    return {
        "key": key,
        "kind": kind,
        "why": why,
        "logs": state.get("logs"),
        "started_at": state.get("started_at"),
        "name": state.get("name") or None,
        "used_by": registry.users(key) if kind == "up" else [],
    }
