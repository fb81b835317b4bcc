"""The limits and the six isolation layers every sandbox container runs under.

1. **Code validation**: static risk scoring before anything starts (:mod:`.risk`).
2. **Network isolation**: ``network_mode=none`` (only a loopback interface).
3. **Read-only file system**: read-only root; ``/tmp`` is a size-capped tmpfs,
   ``noexec,nosuid,nodev``, ``mode=1777``; no ``/dev/shm`` (private IPC namespace).
4. **No privileges**: all capabilities dropped, ``no-new-privileges``, a non-root user.
5. **Resource limits**: memory with swap equal to it, a CPU quota, a pids limit,
   ulimits on open files and file size, a wall-clock timeout that kills, capped output.
6. **Seccomp**: the allow-list in ``seccomp.json`` (stricter than Docker's default:
   no ``ptrace``, no ``process_vm_*``, no ``io_uring``, no SysV IPC, no setuid
   family, sockets only ``AF_UNIX``/``AF_INET``/``AF_INET6``), passed as its content.

A fresh container runs an init process (``docker-init``) that reaps orphans and
forwards signals; a warm-pool container has its agent as PID 1 instead
(:mod:`.pool`), so that no other process holds the container's stdin and stdout.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import docker.types

from crosscheck.namespace import run_id

SECCOMP_PATH = Path(__file__).with_name("seccomp.json")
SANDBOX_USER = "10001:10001"
LABEL = "crosscheck"
LABEL_RUN = "crosscheck.run"
LABEL_OWNER = "crosscheck.owner"
LABEL_HOST = "crosscheck.host"
LABEL_ROLE = "crosscheck.sandbox"


@lru_cache(maxsize=1)
def seccomp_profile() -> str:
    """The seccomp profile as compact JSON text (what ``security_opt`` carries)."""
    return json.dumps(json.loads(SECCOMP_PATH.read_text()), separators=(",", ":"))


@dataclass(frozen=True)
class Limits:
    """What one sandbox run may use. Sizes in bytes, times in seconds."""

    timeout: float = 3.0
    memory: int = 128 * 1024 * 1024
    cpus: float = 1.0
    pids: int = 64
    tmpfs: int = 16 * 1024 * 1024
    nofile: int = 256
    fsize: int = 8 * 1024 * 1024
    output: int = 1024 * 1024
    seccomp: bool = True
    extra_env: dict = field(default_factory=dict)

    def with_changes(self, **changes) -> Limits:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def summary(self) -> str:
        """The limits in one line, as failure messages name them."""
        mib = 1024 * 1024
        return (
            f"timeout {self.timeout:g} s, memory {self.memory / mib:g} MiB, cpu {self.cpus:g}, "
            f"pids {self.pids}, tmpfs {self.tmpfs / mib:g} MiB, open files {self.nofile}, "
            f"file size {self.fsize / mib:g} MiB, output cap {self.output / 1024:g} KiB, "
            f"seccomp {'crosscheck profile' if self.seccomp else 'docker default'}"
        )

    def table(self) -> list[tuple[str, str]]:
        mib = 1024 * 1024
        return [
            ("timeout", f"{self.timeout:g} s"),
            ("memory (swap equal)", f"{self.memory / mib:g} MiB"),
            ("cpu quota", f"{self.cpus:g} CPU"),
            ("pids", str(self.pids)),
            ("/tmp tmpfs", f"{self.tmpfs / mib:g} MiB, noexec, nosuid, nodev"),
            ("open files", str(self.nofile)),
            ("file size", f"{self.fsize / mib:g} MiB"),
            ("output cap", f"{self.output / 1024:g} KiB"),
            ("seccomp", "crosscheck profile" if self.seccomp else "docker default"),
        ]


def labels(owner: str = "", role: str = "run") -> dict[str, str]:
    """The labels that make every container findable for cleanup."""
    return {
        LABEL: "1",
        LABEL_RUN: run_id(),
        LABEL_OWNER: owner or run_id(),
        LABEL_HOST: os.uname().nodename,
        LABEL_ROLE: role,
    }


def host_config(api, limits: Limits, init: bool = True) -> dict:
    """The docker ``HostConfig`` for ``limits``: all six layers but code validation.

    ``init=False`` leaves PID 1 to the command itself (the warm pool's agent).
    """
    security = ["no-new-privileges:true"]
    if limits.seccomp:
        security.append(f"seccomp={seccomp_profile()}")
    return api.create_host_config(
        network_mode="none",
        read_only=True,
        tmpfs={"/tmp": f"rw,noexec,nosuid,nodev,size={limits.tmpfs},mode=1777"},
        ipc_mode="none",
        cap_drop=["ALL"],
        security_opt=security,
        mem_limit=limits.memory,
        memswap_limit=limits.memory,
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.pids,
        ulimits=[
            docker.types.Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile),
            docker.types.Ulimit(name="fsize", soft=limits.fsize, hard=limits.fsize),
            docker.types.Ulimit(name="core", soft=0, hard=0),
        ],
        init=init,
        log_config=docker.types.LogConfig(type="none"),
    )


def container_config(limits: Limits) -> dict:
    """Create-time settings besides the host config."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(limits.extra_env)
    return {"user": SANDBOX_USER, "working_dir": "/tmp", "environment": env, "network_disabled": True}


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}


def parse_size(value) -> int:
    """Bytes from ``128 MB``, ``64k``, ``1 GiB`` or a plain number of bytes (binary units)."""
    if isinstance(value, (int, float)):
        return int(value)
    import re

    from crosscheck.errors import ConfigurationError

    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", str(value))
    if not m or m.group(2).lower() not in _UNITS:
        raise ConfigurationError(f"Size {value!r} is not understood; write e.g. '128 MB', '64 KB' or '1 GB'.")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])
