"""The sandbox image: found, or built locally from this machine's own Python.

No registry is needed. :func:`build` copies the running interpreter, its
standard library (without tests, IDLE, tkinter and site-packages), every shared
library the interpreter and the stdlib extension modules load (found with
``ldd``; ``_ctypes`` brings libffi) and the dynamic loader into a tar stream,
adds ``/etc/passwd`` with a non-root ``sandbox`` user and an empty ``/tmp``
(mounted as a tmpfs with ``mode=1777`` at run time), and feeds it to
``docker import``. The result is a ~30 MB image with no shell and no package
manager: Python and nothing else.

``ensure(client, tag)`` builds it when absent; the first sandbox run calls it,
so a fresh machine needs no manual step. ``crosscheck sandbox-image`` does the
same from the command line.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from pathlib import Path

from crosscheck.errors import ConfigurationError, CrosscheckError

DEFAULT_TAG = f"crosscheck-sandbox:py{sys.version_info.major}.{sys.version_info.minor}"
SANDBOX_UID = 10001
PREFIX = "/usr/local"

_SKIP_DIRS = {
    "site-packages",
    "test",
    "tests",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "pydoc_data",
    "__phello__",
}
_SKIP_DYNLOAD = re.compile(
    r"^(_test|_tkinter|xxlimited|_xxtestfuzz|_ctypes_test|_curses|readline|nis|ossaudiodev|_dbm|_gdbm)"
)


def image_name() -> str:
    """The image sandboxes run: ``CROSSCHECK_SANDBOX_IMAGE`` or the local default."""
    return os.environ.get("CROSSCHECK_SANDBOX_IMAGE", "").strip() or DEFAULT_TAG


def _ldd(path: str) -> list[str]:
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    libs = []
    for line in out.splitlines():
        m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def _add_file(tar: tarfile.TarFile, host: str, arc: str, seen: set[str]) -> None:
    """Add ``host`` at ``arc``, keeping symlinks and adding what they point at."""
    if arc in seen:
        return
    seen.add(arc)
    parent = str(Path(arc).parent)
    _add_dirs(tar, parent, seen)
    if os.path.islink(host):
        target = os.readlink(host)
        info = tarfile.TarInfo(arc.lstrip("/"))
        info.type = tarfile.SYMTYPE
        info.linkname = target
        tar.addfile(info)
        resolved = os.path.normpath(os.path.join(os.path.dirname(host), target))
        arc_target = os.path.normpath(os.path.join(os.path.dirname(arc), target))
        _add_file(tar, resolved, arc_target, seen)
        return
    info = tar.gettarinfo(host, arc.lstrip("/"))
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    with open(host, "rb") as fh:
        tar.addfile(info, fh)


def _add_dirs(tar: tarfile.TarFile, path: str, seen: set[str], mode: int = 0o755) -> None:
    parts = Path(path).parts[1:]
    cur = ""
    for part in parts:
        cur += "/" + part
        if cur in seen:
            continue
        seen.add(cur)
        info = tarfile.TarInfo(cur.lstrip("/"))
        info.type = tarfile.DIRTYPE
        info.mode = mode
        info.mtime = int(time.time())
        tar.addfile(info)


def _add_text(tar: tarfile.TarFile, arc: str, text: str, seen: set[str], mode: int = 0o644) -> None:
    _add_dirs(tar, str(Path(arc).parent), seen)
    data = text.encode()
    info = tarfile.TarInfo(arc.lstrip("/"))
    info.size = len(data)
    info.mode = mode
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))
    seen.add(arc)


def write_rootfs(out) -> int:
    """Write the image's root file system as a tar stream to ``out``; returns the file count."""
    exe = os.path.realpath(sys.executable)
    stdlib = sysconfig.get_paths()["stdlib"]
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    seen: set[str] = set()
    libs: set[str] = set()
    with tarfile.open(fileobj=out, mode="w|") as tar:
        for d in ("/tmp", "/proc", "/sys", "/dev", "/etc", "/home/sandbox"):
            _add_dirs(tar, d, seen, mode=0o1777 if d == "/tmp" else 0o755)
        _add_file(tar, exe, f"{PREFIX}/bin/{ver}", seen)
        for alias in ("python3", "python"):
            info = tarfile.TarInfo(f"{PREFIX.lstrip('/')}/bin/{alias}")
            info.type = tarfile.SYMTYPE
            info.linkname = ver
            tar.addfile(info)
        libs.update(_ldd(exe))
        for root, dirs, files in os.walk(stdlib):
            rel = os.path.relpath(root, stdlib)
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith("config-")]
            for name in files:
                if name.endswith((".opt-1.pyc", ".opt-2.pyc", ".exe", ".a")):
                    continue
                if rel == "lib-dynload" and _SKIP_DYNLOAD.match(name):
                    continue
                host = os.path.join(root, name)
                arc = os.path.normpath(f"{PREFIX}/lib/{ver}/{rel}/{name}")
                _add_file(tar, host, arc, seen)
                if name.endswith(".so"):
                    libs.update(_ldd(host))
        # libpython goes to /usr/lib, a directory the loader always searches
        # (the interpreter's RUNPATH names a host path that the image lacks)
        for lib in sorted(libs):
            if "libpython" in os.path.basename(lib):
                _add_file(tar, lib, f"/usr/lib/{os.path.basename(lib)}", seen)
            else:
                _add_file(tar, lib, lib, seen)
        for loader in ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"):
            if os.path.exists(loader):
                _add_file(tar, loader, loader, seen)
        _add_text(
            tar,
            "/etc/passwd",
            f"root:x:0:0:root:/root:/nonexistent\nsandbox:x:{SANDBOX_UID}:{SANDBOX_UID}:sandbox:/tmp:/nonexistent\n",
            seen,
        )
        _add_text(tar, "/etc/group", f"root:x:0:\nsandbox:x:{SANDBOX_UID}:\n", seen)
    return len(seen)


def build(client, tag: str = DEFAULT_TAG) -> str:
    """Build the minimal local image as ``tag`` with ``docker import``; returns its id."""
    repo, _, version = tag.rpartition(":")
    if not repo:
        repo, version = tag, "latest"
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    try:
        previous = client.images.get(tag).id
    except Exception:  # absent: nothing to replace
        previous = None
    with tempfile.TemporaryFile() as fh:
        write_rootfs(fh)
        fh.seek(0)
        changes = [
            f"USER {SANDBOX_UID}:{SANDBOX_UID}",
            "WORKDIR /tmp",
            f"ENV PATH={PREFIX}/bin:/usr/bin:/bin",
            "ENV LANG=C.UTF-8",
            "ENV HOME=/tmp",
            "ENV PYTHONDONTWRITEBYTECODE=1",
            "LABEL crosscheck.image=1",
            f'CMD ["{PREFIX}/bin/{ver}"]',
        ]
        try:
            client.api.import_image_from_data(fh.read(), repository=repo, tag=version, changes=changes)
        except Exception as exc:  # docker.errors.APIError and transport errors
            raise CrosscheckError(f"Building sandbox image {tag} failed: {exc}") from None
    new = client.images.get(tag).id
    if previous and previous != new:
        try:  # the replaced build would linger untagged
            client.images.remove(previous)
        except Exception:  # in use by a container, or already gone
            pass
    return new


def ensure(client, tag: str | None = None) -> str:
    """Make sure ``tag`` (default :func:`image_name`) exists; build or pull it if absent."""
    import docker.errors

    tag = tag or image_name()
    try:
        return client.images.get(tag).id
    except docker.errors.ImageNotFound:
        pass
    if tag.startswith("crosscheck-sandbox"):
        return build(client, tag)
    try:
        client.images.pull(tag)
        return client.images.get(tag).id
    except docker.errors.DockerException as exc:
        raise ConfigurationError(
            f"Sandbox image {tag} is not present and cannot be pulled ({str(exc).splitlines()[0][:160]}). "
            f"Unset CROSSCHECK_SANDBOX_IMAGE to use the local image built by 'crosscheck sandbox-image'."
        ) from None
