"""Atomic file writes: a crash leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)`` and then rename the temporary file onto ``path``.

    The temporary file lives in the same folder, so the final ``os.replace`` is atomic on POSIX
    and Windows file systems.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        # mkstemp creates the file readable by its owner only; give it the usual umask-based mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())

    return atomic_write(path, write)


def atomic_write_json(path: str | Path, value: Any) -> Path:
    """Write ``value`` as indented JSON; NaN and inf become ``null``, since JSON has no such numbers."""
    text = json.dumps(_finite_or_none(value), indent=2, default=_json_default, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # NumPy and torch scalars
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """Return the SHA-256 of the file at ``path`` as lowercase hex, reading it in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()
