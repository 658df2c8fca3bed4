"""Small file helpers: content hashes and atomic writes."""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["sha256_file", "decode_text", "atomic_write", "start_atomic_write", "fork_available", "atomic_dir",
           "work_dir", "remove_orphans"]


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decode_text(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text export: ``encoding`` if given, else UTF-8 (BOM or not), else
    Windows-1252, else Latin-1 (which decodes any byte). Returns the text and the encoding.
    """
    if encoding is not None:
        return raw.decode(encoding), encoding
    for candidate in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path | str, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    An interrupted or failing ``write`` leaves any previous ``path`` untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


def fork_available() -> bool:
    """Whether a child process can be forked here (Linux: a copy of this process, nothing to import),
    not from a daemonic process (a dask worker's), which may have no children.
    """
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


def start_atomic_write(path: Path | str, write: Callable[[Path], object]) -> Callable[[], Path]:
    """Start :func:`atomic_write` ``(path, write)`` in a forked child process and return a
    function that waits for it and returns ``path``.

    The child is a copy of this process (its memory shared until written, nothing pickled),
    so work that holds Python's GIL, such as serialising a large document, runs on another
    core while this process goes on. ``write`` must not use threads started before the fork
    (a child has only the thread that forked). Where no child can be forked
    (:func:`fork_available`), or when the child failed, the write is done in this process
    when waited for, so that its error is raised here.
    """
    pid = os.fork() if fork_available() else None
    if pid == 0:  # the child: write, and leave without running this process's exit handlers
        code = 1
        try:
            atomic_write(path, write)
            code = 0
        finally:
            os._exit(code)

    def wait() -> Path:
        if pid is not None:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) == 0:
                return Path(path)
        return atomic_write(path, write)

    return wait


@contextlib.contextmanager
def atomic_dir(path: Path | str) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path``.

    Files are written into the temporary folder; when the block ends without error the
    folder is renamed to ``path`` (a previous ``path`` is removed only then). On error
    the temporary folder is deleted and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = work_dir(path.parent, path.name)
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        if path.exists():
            old = work_dir(path.parent, f"{path.name}.old")
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _owner() -> str:
    """``host-pid`` of this process, as written in the names of its working folders."""
    return f"{re.sub(r'[^A-Za-z0-9]+', '_', socket.gethostname())}-{os.getpid()}"


_OWNED = re.compile(r"^\..+\.@(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)\.")


def work_dir(parent: Path | str, stem: str) -> Path:
    """A new hidden folder ``.{stem}.@{host}-{pid}.XXXX`` in ``parent``, named after its owner.

    The owner's host and process id let :func:`remove_orphans` tell a folder left by a
    killed process (``SIGKILL`` runs no clean-up) from one a live process is writing.
    """
    Path(parent).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{stem}.@{_owner()}.", dir=parent))


def remove_orphans(parent: Path | str) -> list[Path]:
    """Delete the :func:`work_dir` folders of ``parent`` whose process, on this host, is gone.

    Folders made on other hosts (a shared disk under a Dask cluster) are left alone: their
    process cannot be checked from here. Returns the folders removed.
    """
    parent, host = Path(parent), _owner().rsplit("-", 1)[0]
    removed = []
    for entry in parent.iterdir() if parent.is_dir() else ():
        owned = _OWNED.match(entry.name)
        if owned is None or owned["host"] != host or not entry.is_dir() or _alive(int(owned["pid"])):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
