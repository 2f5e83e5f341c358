"""File digests used to verify downloaded checkpoint files.

Two digests occur on the Hugging Face Hub: the SHA-256 of the content, which the Hub reports for
files stored with Git LFS, and the Git blob id, ``sha1(b"blob <size>\\0" + content)``, which it
reports for files stored in plain Git.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from mtagbench.io import sha256_file  # noqa: F401  (re-exported for the zoo)

CHUNK_BYTES = 1 << 20
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
GIT_SHA1_PATTERN = re.compile(r"[0-9a-f]{40}")


def git_blob_sha1(path: str | Path) -> str:
    """Return the Git blob id of the file at ``path``: SHA-1 over ``blob <size>\\0`` and the content."""
    path = Path(path)
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def is_commit_hash(revision: str | None) -> bool:
    """Return True when ``revision`` is a full 40-character lowercase hex Git commit id."""
    return revision is not None and GIT_SHA1_PATTERN.fullmatch(revision) is not None
