"""Download a checkpoint into the Hugging Face cache and verify every file before it is used.

Files come from a zoo index entry (pinned commit, SHA-256 per file) or from any Hub repository
(``ORG/NAME[@REVISION]``). A file whose digest does not match is deleted from the cache and the pull
raises :class:`~mtagbench.errors.CheckpointError`, so a later load cannot pick it up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from mtagbench.checkpoint import load_checkpoint
from mtagbench.errors import CheckpointError, ConfigError, HubError
from mtagbench.hub import client
from mtagbench.hub.hashing import GIT_SHA1_PATTERN, SHA256_PATTERN, git_blob_sha1, sha256_file
from mtagbench.zoo.index import REQUIRED_FILES, ZooEntry, get_entry, load_index

logger = logging.getLogger(__name__)

OPTIONAL_FILES = ("README.md", "results.json", "history.json")


@dataclass(frozen=True)
class PulledCheckpoint:
    """A verified checkpoint folder inside the Hugging Face cache.

    Attributes:
        folder: Snapshot folder holding ``config.json`` and ``model.safetensors``.
        repo_id: Hub repository it came from.
        commit: Commit hash of the snapshot.
        sha256: File name to the SHA-256 of its content, as verified.
    """

    folder: Path
    repo_id: str
    commit: str
    sha256: dict[str, str]


def _reject(path: Path, filename: str, where: str, kind: str, expected: str, actual: str, source: str) -> None:
    client.evict_cached_file(path)
    raise CheckpointError(
        f"{filename} of {where} failed verification: its {kind} is {actual} but {source} expects {expected}. "
        "The file was altered on the server, in transit or on disk; it was deleted from the cache and not loaded"
    )


def _verify_sha256(path: Path, filename: str, where: str, expected: str, source: str) -> str:
    actual = sha256_file(path)
    if actual != expected:
        _reject(path, filename, where, "SHA-256", expected, actual, source)
    return actual


def _verify_git_sha1(path: Path, filename: str, where: str, expected: str, source: str) -> None:
    actual = git_blob_sha1(path)
    if actual != expected:
        _reject(path, filename, where, "git blob SHA-1", expected, actual, source)


def unpublished_message(entry: ZooEntry) -> str:
    """Return the explanation shown when a zoo entry has no published checkpoint yet."""
    return (
        f"{entry.name} is not published on the Hub yet (published: false in the zoo index), so there is nothing "
        f"to download. Train it yourself with:\n  {entry.recipe}\n"
        f"then evaluate the run folder with:\n  mtagbench evaluate --checkpoint RUN_DIR --dataset {entry.dataset}"
    )


def pull_entry(entry: ZooEntry) -> PulledCheckpoint:
    """Download a published zoo entry at its pinned commit and check every file's SHA-256.

    Raises:
        HubError: If the entry is unpublished, or the download fails (including offline without a cache).
        CheckpointError: If a file's SHA-256 differs from the index.
    """
    if not entry.published or entry.revision is None:
        raise HubError(unpublished_message(entry))

    settings = client.current_settings()
    where = f"{entry.repo_id}@{entry.revision}"
    verified = {}
    folder = None
    for filename, expected in entry.files.items():
        path = client.download_file(settings, entry.repo_id, filename, entry.revision)
        verified[filename] = _verify_sha256(path, filename, where, expected, f"zoo entry {entry.name}")
        folder = path.parent
    assert folder is not None  # the index requires config.json and model.safetensors
    return PulledCheckpoint(folder=folder, repo_id=entry.repo_id, commit=entry.revision, sha256=verified)


def _verify_against_blob_name(path: Path, filename: str, where: str) -> None:
    """Check a cached file offline against its blob's name, which is the ETag the Hub sent with it."""
    name = path.resolve().name
    source = "the cached blob name (the ETag the Hub sent)"
    if SHA256_PATTERN.fullmatch(name):
        _verify_sha256(path, filename, where, name, source)
    elif GIT_SHA1_PATTERN.fullmatch(name):
        _verify_git_sha1(path, filename, where, name, source)
    else:
        raise CheckpointError(f"cannot verify {path} offline: its blob name {name!r} is not a digest; pull it again online")


def pull_repo(repo_id: str, revision: str = client.DEFAULT_BRANCH) -> PulledCheckpoint:
    """Download an mtagbench checkpoint from any Hub model repository and verify it.

    Online, each file is checked against the digests the Hub lists for the commit: the SHA-256 of
    Git LFS files, else the git blob SHA-1. Offline, the revision is looked up in the cache and each
    cached file is checked against its blob name.

    Raises:
        HubError: For a missing repository, revision or required file, or a failed download.
        CheckpointError: If a file's digest does not match.
    """
    settings = client.current_settings()
    commit = client.resolve_commit(settings, repo_id, revision)
    where = f"{repo_id}@{commit}"

    if settings.offline:
        paths = {}
        for filename in REQUIRED_FILES + OPTIONAL_FILES:
            path = client.cached_file(settings, repo_id, filename, commit)
            if path is None and filename in REQUIRED_FILES:
                raise HubError(
                    f"{filename} of {where} is not in the Hugging Face cache at {settings.cache_dir} and HF_HUB_OFFLINE "
                    "is set; pull it once with network access or unset HF_HUB_OFFLINE"
                )
            if path is not None:
                _verify_against_blob_name(path, filename, where)
                paths[filename] = path
        return PulledCheckpoint(
            folder=paths["config.json"].parent,
            repo_id=repo_id,
            commit=commit,
            sha256={name: sha256_file(path) for name, path in paths.items()},
        )

    remote = client.list_remote_files(settings, repo_id, commit)
    absent = [name for name in REQUIRED_FILES if name not in remote]
    if absent:
        raise HubError(f"{where} has no {', '.join(absent)}; it is not an mtagbench checkpoint repository")

    verified = {}
    folder = None
    for filename in [name for name in REQUIRED_FILES + OPTIONAL_FILES if name in remote]:
        listed = remote[filename]
        path = client.download_file(settings, repo_id, filename, commit)
        if listed.sha256 is not None:
            verified[filename] = _verify_sha256(path, filename, where, listed.sha256, "the Hub's LFS metadata")
        else:
            _verify_git_sha1(path, filename, where, listed.git_sha1, "the Hub's git blob id")
            verified[filename] = sha256_file(path)
        folder = path.parent
    assert folder is not None
    client.record_ref(settings, repo_id, revision, commit)
    return PulledCheckpoint(folder=folder, repo_id=repo_id, commit=commit, sha256=verified)


def pull(spec: str) -> PulledCheckpoint:
    """Pull ``spec``: a zoo entry name such as ``mtag.mosi``, or ``ORG/NAME[@REVISION]``.

    Raises:
        ConfigError: For an unknown zoo entry.
        HubError: For an unpublished entry or a failed download.
        CheckpointError: For a file that fails verification.
    """
    if "/" in spec:
        repo_id, _, revision = spec.partition("@")
        return pull_repo(repo_id, revision or client.DEFAULT_BRANCH)
    return pull_entry(get_entry(spec))


def resolve_pretrained(name: str, tag: str | None) -> str:
    """Return the pull spec for ``create_model(name, pretrained=tag)``.

    ``tag`` may be a dataset tag (``"mosi"`` for ``mtag.mosi``), a full entry name, or a Hub repo id;
    None picks the architecture's only entry.

    Raises:
        ConfigError: If no entry matches, or several do and ``tag`` is None.
    """
    if tag is not None and ("/" in tag or "." in tag):
        return tag
    if tag is None and "." in name:
        return name

    candidates = [entry for entry in load_index().values() if entry.architecture == name]
    if tag is not None:
        matches = [entry for entry in candidates if entry.tag == tag]
    else:
        matches = candidates
    if len(matches) == 1:
        return matches[0].name
    tags = ", ".join(entry.tag for entry in candidates) or "none"
    if not matches:
        raise ConfigError(f"no pretrained {name!r} checkpoint tagged {tag!r}; tags for {name!r}: {tags}")
    raise ConfigError(f"{name!r} has several pretrained checkpoints ({tags}); pass pretrained=TAG")


def load_pretrained(name: str, tag: str | None = None) -> nn.Module:
    """Pull, verify and load a pretrained model, in evaluation mode on the CPU.

    Args:
        name: Architecture (``"mtag"``) or full zoo entry name (``"mtag.mosi"``).
        tag: Dataset tag (``"mosi"``), full entry name, or ``ORG/NAME[@REVISION]``.

    Returns:
        The model with the checkpoint's weights, read from safetensors.

    Raises:
        CheckpointError: If the checkpoint contains a different architecture or fails verification.
        HubError: If it is unpublished or cannot be downloaded.
    """
    pulled = pull(resolve_pretrained(name, tag))
    model, config = load_checkpoint(pulled.folder)
    architecture = name.split(".", 1)[0]
    if config["architecture"] != architecture:
        raise CheckpointError(
            f"{pulled.repo_id}@{pulled.commit} contains a {config['architecture']!r} model, not {architecture!r}; "
            f"use create_model({config['architecture']!r}, pretrained=...)"
        )
    return model


def is_cached(entry: ZooEntry) -> bool:
    """Return True when every file of a published entry is in the Hugging Face cache at its commit."""
    if not entry.published or entry.revision is None:
        return False
    settings = client.current_settings()
    return all(client.cached_file(settings, entry.repo_id, name, entry.revision) is not None for name in entry.files)
