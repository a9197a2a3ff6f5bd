"""Private state on disk: 0700 directories and 0600 files, whatever the umask."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077  # the daemon's umask: anything it creates is readable by its user alone


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700; an existing directory is left as it is
    (it may be shared, such as /tmp), only the ones created here are made private."""
    missing = []
    probe = Path(path)
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=DIR_MODE)
            os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty as 0600 if it is missing, and make it 0600 if it is looser."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        tighten(path)
    return path


def tighten(path: Path) -> None:
    """0600 for an existing file of ours that others can read; a missing file, or one that
    belongs to another user (a read-only CLI run), is left alone."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.geteuid():
            os.chmod(path, FILE_MODE)
