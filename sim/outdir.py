"""The output folder's safety rules: one writer per folder, checked before any work is done,
written through temporary files with unique names, and faults reported in one line.

- `output_lock(folder)` holds an exclusive `flock` on `.NAME.lock` beside the folder for the
  whole command; a second writer is refused at once in one line naming the holder's pid. The
  lock file is removed on release (with the usual inode check, so that a writer that opened it
  just before it was removed never holds a lock nobody else sees).
- `write_atomic(path, data)` writes `.NAME.<pid>.<random>.tmp` beside `path` and renames it into
  place; on any failure (a full disk) the temporary file is removed.
- `clean_stale_staging(folder)` removes what an interrupted `run` left beside its folder (only
  folders carrying our staging marker, or complete results folders of ours moved aside), and
  puts an old folder back if a swap was cut between its two renames.
- `signals_held()` defers Ctrl-C and SIGTERM over a few renames; `sigterm_as_interrupt()` makes
  SIGTERM act like Ctrl-C (raise KeyboardInterrupt) for a whole command.
- `check_output_file(path)` and `check_output_folder(path)` refuse, before any work, an output
  that could not be written where asked (a folder given for a file, a file standing where a
  folder should be), for the commands that write one file or one folder (`plot`, `analyze`,
  `export`, `observe import`, `compare`).
- `output_fault(exc)` turns an OSError of the storage (full disk, read-only, permission) into
  one line, or returns None for any other error, which should keep its traceback.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from sim.errors import InputError, Problem

STAGING_MARKER = ".conflict-sim-staging"
"""Written first into every staging folder: only folders holding it are ever cleaned up."""

STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large for the file system",
    errno.EIO: "input/output error on the device",
}


def through_link(path: str | Path) -> Path:
    """The folder a symbolic link at `path` names (followed to its end), else `path` as given.

    Results replace the folder the link points to and keep the link: the swap renames the
    folder aside, and renaming a link onto a folder fails (EISDIR, a traceback that left the
    staging folders behind) or would replace the user's link itself."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def lock_path(folder: Path) -> Path:
    folder = Path(os.path.abspath(folder))
    return folder.parent / f".{folder.name}.lock"


def _refuse(folder: Path, message: str, option: str) -> InputError:
    return InputError(Problem(option, 1, 1, "out", f"{folder} {message}"))


def file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of `path` when it is not a folder (so `path` cannot be
    created under it), else None."""
    for parent in Path(os.path.abspath(path)).parents:
        if os.path.lexists(parent):
            return None if parent.is_dir() else parent
    return None


def _not_a_folder(path: Path, blocker: Path) -> str:
    shown = os.path.relpath(blocker) if not Path(path).is_absolute() else str(blocker)
    return f"cannot be created: {shown} is a file, not a folder"


def check_output_file(path: str | Path, option: str = "--out") -> Path:
    """Refuse an output file's path before any work is done; missing folders on the way are
    created when the file is written.

    Raises:
        InputError: `path` is a folder, or a file stands where one of its folders should be.
    """
    path = Path(path)
    if path.is_dir():
        raise _refuse(path, "is a folder; give a file name", option)
    blocker = file_in_the_way(path)
    if blocker is not None:
        raise _refuse(path, _not_a_folder(path, blocker), option)
    return path


def check_output_folder(path: str | Path, option: str = "--out") -> Path:
    """Refuse an output folder's path before any work is done (it is created if missing).

    Raises:
        InputError: `path` is a file, or a file stands where one of its parents should be.
    """
    path = Path(path)
    if os.path.lexists(path) and not path.is_dir():
        raise _refuse(path, "is a file, not a folder", option)
    blocker = file_in_the_way(path)
    if blocker is not None:
        raise _refuse(path, _not_a_folder(path, blocker), option)
    return path


@contextlib.contextmanager
def output_lock(folder: str | Path, option: str = "--out") -> Iterator[Path]:
    """Hold the exclusive writer's lock of `folder` for the block (creating its parent).

    Raises:
        InputError: another process holds the lock, or the parent folder cannot be written
        (read-only, no permission, full): both before any work is done.
    """
    folder = Path(folder)
    path = lock_path(folder)
    blocker = file_in_the_way(folder)
    if blocker is not None:
        raise _refuse(folder, _not_a_folder(folder, blocker), option)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _refuse(folder, f"cannot be created: {_reason(exc)}", option) from None
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise _refuse(folder, f"cannot be written: {_reason(exc)}", option) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise _refuse(
                folder,
                f"is being written by another conflict-sim (pid {holder}); "
                "wait for it to finish, or choose another folder",
                option,
            ) from None
        try:  # the previous holder may have removed the file between our open and flock
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError as exc:
        _release(fd, path)
        raise _refuse(folder, f"cannot be written: {_reason(exc)}", option) from None
    try:
        yield folder
    finally:
        _release(fd, path)


def _release(fd: int, path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # while still locked: a waiting writer then sees a new inode and retries
    os.close(fd)


def check_writable(folder: Path, option: str = "--out") -> None:
    """Refuse a folder whose files cannot be created (read-only, no permission, full)."""
    name = folder / f".write-check.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        raise _refuse(folder, f"cannot be written: {_reason(exc)}", option) from None
    os.close(fd)
    name.unlink()


def new_staging(final: Path) -> Path:
    """A fresh staging folder beside `final`, marked as ours (so that a stale one can be tidied)
    and with the usual permissions (mkdtemp makes it private); removed if marking it fails."""
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        (staging / STAGING_MARKER).touch()
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def temp_name(path: Path) -> Path:
    """A temporary name beside `path` that no other process or thread uses (`TEMP_NAME`)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


TEMP_NAME = re.compile(r"^\..+\.\d+\.[0-9a-f]{8}\.tmp$")
"""The names `temp_name` gives: a file a write of ours left when its process was killed."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file renamed into place; never half a file.

    Raises:
        OSError: the write failed (the temporary file is removed, `path` is unchanged).
    """
    tmp = temp_name(Path(path))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc  # name the file, not tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def stray_temporaries(folder: Path) -> list[Path]:
    """Our temporary files in a folder (left by a process killed while writing)."""
    return [p for p in folder.glob(".*.tmp") if p.is_file()]


_STAGED = r"^\.{name}\.(?P<old>old\.)?[a-z0-9_]{{8}}$"


def clean_stale_staging(folder: Path) -> None:
    """Tidy what an interrupted writer of `folder` left beside it; call with the lock held.

    A staging folder (`.NAME.xxxxxxxx` holding our marker) is removed. A results folder moved
    aside for a swap (`.NAME.old.xxxxxxxx`) goes back to `NAME` when `NAME` is missing (the swap
    was cut between its two renames), and is removed otherwise. Nothing else is touched.
    """
    from sim.results import _ours

    folder = Path(os.path.abspath(folder))
    pattern = re.compile(_STAGED.format(name=re.escape(folder.name)))
    found = []
    with contextlib.suppress(FileNotFoundError):
        for entry in folder.parent.iterdir():
            match = pattern.match(entry.name)
            if match and entry.is_dir() and not entry.is_symlink():
                found.append((bool(match["old"]), entry))
    for old, entry in sorted(found, key=lambda item: item[1].stat().st_mtime, reverse=True):
        if not old:
            if (entry / STAGING_MARKER).is_file():
                shutil.rmtree(entry, ignore_errors=True)
            continue
        if (entry / STAGING_MARKER).exists() or (any(entry.iterdir()) and _ours(entry)):
            continue  # not a complete results folder of ours moved aside: not ours to touch
        if not folder.exists():
            os.replace(entry, folder)
        else:
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back over the block, then raise KeyboardInterrupt if one came."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    prev = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in prev:
        signal.signal(s, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for s, handler in prev.items():
            signal.signal(s, handler)
    if pending:
        raise KeyboardInterrupt


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the main thread for the block, as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _reason(exc: OSError) -> str:
    return STORAGE_ERRNOS.get(exc.errno or 0, exc.strerror or str(exc))


def output_fault(exc: BaseException) -> str | None:
    """One line for a storage fault (`PATH: reason`), or None when `exc` is not one."""
    if not isinstance(exc, OSError) or exc.errno not in STORAGE_ERRNOS:
        return None
    where = exc.filename if exc.filename is not None else "(file not named by the system)"
    return f"{where}: {_reason(exc)} [{errno.errorcode.get(exc.errno, exc.errno)}]"
