"""``--output FILE``: a command's output written beside the file, then renamed into place.

The file is made 0600 (it holds customers' names and phones) and appears whole or not at all:
a failed or interrupted command leaves the previous file, if any, as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path

from crmcli.env import Env
from crmcli.errors import BadInput
from crmcli.i18n import _


def _check(target: Path) -> None:
    if target.is_dir():
        raise BadInput(_("--output: {target} is a folder; name a file.").format(
            target=target))
    if target.exists() and not target.is_file():  # /dev/null, a pipe: never renamed over
        raise BadInput(_("--output: {target} is not a regular file (a device or a pipe); "
                         "name a file, or leave --output out to write to standard "
                         "output.").format(target=target))
    if not target.parent.is_dir():
        raise BadInput(_("--output: the folder {parent} does not exist.").format(
            parent=target.parent))


@contextmanager
def to_file(env: Env, path: Path) -> Iterator[Env]:
    """An Env whose standard output (and ``file``, for binary formats) is a temporary file
    beside ``path``; renamed onto ``path`` when the block ends without an error."""
    target = path.expanduser()
    _check(target)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                        dir=target.parent)  # mkstemp makes it 0600
    except OSError as exc:
        raise BadInput(_("--output: cannot write in {parent} ({strerror}).").format(
            parent=target.parent, strerror=exc.strerror)) from None
    try:
        with open(handle, "w", encoding="utf-8", newline="") as stream:
            yield replace(env, stdout=stream, stdout_isatty=False, file=Path(temp))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
