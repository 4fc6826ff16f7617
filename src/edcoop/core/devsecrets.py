"""A development secret kept in ``var/``: made once per installation, readable by its owner.

Outside production a key nobody configured (``SECRET_KEY``, the sealing key, the audit key)
is generated the first time it is needed and kept in ``var/`` -- the folder mode 0700, each
file 0600 -- so every development installation has keys of its own and none ships with the
source. Production reads every key from the environment and never comes here.

Imported by ``settings``, so it must not import Django.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path


class DevSecretError(RuntimeError):
    """A secret file that exists but cannot be used (empty, unreadable)."""


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter (created if missing)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    # Tighten our own folder; never a shared one such as /tmp (sticky) or someone else's.
    if st.st_mode & 0o077 and st.st_uid == os.getuid() and not st.st_mode & stat.S_ISVTX:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file only its owner can read: created empty (mode 0600) if missing."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    return path


def _write_new(path: Path, value: str) -> None:
    """Create ``path`` holding ``value`` unless another process made it first.

    Written to a temporary file and hard-linked into place, so a second process starting at
    the same moment (``make demo`` starts the web server and the worker together) reads
    either nothing or the whole key, never half of it, and both end up with the same key.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(value + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: its key wins
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def dev_secret(var_dir: Path, name: str, make: Callable[[], str]) -> str:
    """The secret ``var_dir/name``, made by ``make()`` the first time it is asked for."""
    private_dir(var_dir)
    path = var_dir / name
    if not path.exists():
        _write_new(path, make())
    private_file(path)
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise DevSecretError(f"{path} is empty; delete it and a new key is made")
    return value
