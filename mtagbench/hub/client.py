"""Every network call mtagbench makes to a Hugging Face Hub goes through this module.

``huggingface_hub`` 2.4 reads ``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_CACHE`` and ``HF_HUB_OFFLINE``
once, when it is imported (``huggingface_hub.constants``). To honour a value set later in the same
process, :func:`current_settings` reads the environment on every call and the functions here pass
``endpoint``, ``cache_dir``, ``token`` and ``local_files_only`` to the library explicitly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download, try_to_load_from_cache
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import repo_folder_name

from mtagbench.errors import HubError
from mtagbench.hub.hashing import is_commit_hash
from mtagbench.io import atomic_write_text

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_BRANCH = "main"
LIBRARY_NAME = "mtagbench"


@dataclass(frozen=True)
class HubSettings:
    """Hub endpoint, cache folder, token and offline flag, read from the environment.

    Attributes:
        endpoint: Base URL of the Hub (``HF_ENDPOINT``, default ``https://huggingface.co``).
        cache_dir: Hugging Face hub cache folder (``HF_HUB_CACHE``, else ``$HF_HOME/hub``).
        token: Access token from ``HF_TOKEN`` or the token file of ``hf auth login``, or None.
        offline: True when ``HF_HUB_OFFLINE`` is set to a true value.
    """

    endpoint: str
    cache_dir: Path
    token: str | None
    offline: bool


@dataclass(frozen=True)
class RemoteFile:
    """One file of a Hub repository at one commit, with the digests the Hub reports.

    Attributes:
        path: Path inside the repository.
        size: Size in bytes.
        git_sha1: Git blob id (for an LFS file, the id of its pointer file).
        sha256: SHA-256 of the content for files stored with Git LFS, else None.
    """

    path: str
    size: int
    git_sha1: str
    sha256: str | None


def _is_true(value: str | None) -> bool:
    return value is not None and value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def _hf_home() -> Path:
    if os.environ.get("HF_HOME"):
        return Path(os.path.expandvars(os.environ["HF_HOME"])).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache_home) / "huggingface"


def read_token() -> str | None:
    """Return the Hub token from ``HF_TOKEN``, else from the token file that ``hf auth login`` writes.

    The token file is ``$HF_TOKEN_PATH`` when set, else ``$HF_HOME/token``.
    """
    token = os.environ.get("HF_TOKEN", "").strip()
    if token:
        return token
    token_path = Path(os.environ.get("HF_TOKEN_PATH") or _hf_home() / "token").expanduser()
    try:
        token = token_path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return token or None


def current_settings() -> HubSettings:
    """Read the Hub settings from the environment now."""
    cache = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    cache_dir = Path(os.path.expandvars(cache)).expanduser() if cache else _hf_home() / "hub"
    return HubSettings(
        endpoint=(os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/"),
        cache_dir=cache_dir,
        token=read_token(),
        offline=_is_true(os.environ.get("HF_HUB_OFFLINE")),
    )


def require_token(settings: HubSettings) -> str:
    """Return the token, or raise before any request is sent when there is none.

    Raises:
        HubError: If neither ``HF_TOKEN`` nor a stored login provides a token.
    """
    if settings.token is None:
        raise HubError(
            f"no Hugging Face token found: uploading to {settings.endpoint} needs one. "
            "Set HF_TOKEN to a token with write access, or run `hf auth login`"
        )
    return settings.token


def _api(settings: HubSettings) -> HfApi:
    from mtagbench import __version__

    return HfApi(
        endpoint=settings.endpoint,
        token=settings.token or False,
        library_name=LIBRARY_NAME,
        library_version=__version__,
    )


@contextmanager
def _hub_errors(settings: HubSettings, repo_id: str, revision: str | None) -> Iterator[None]:
    """Turn ``huggingface_hub`` and connection errors into :class:`HubError` messages."""
    where = f"{repo_id}@{revision}" if revision else repo_id
    try:
        yield
    except RepositoryNotFoundError:
        raise HubError(
            f"repository {repo_id!r} not found on {settings.endpoint}; check the repo id, "
            "or, for a private repository, set HF_TOKEN to a token with read access"
        ) from None
    except RevisionNotFoundError:
        raise HubError(
            f"revision {revision!r} not found in repository {repo_id!r} on {settings.endpoint}; "
            "pass an existing branch, tag or 40-character commit hash"
        ) from None
    except LocalEntryNotFoundError:
        if settings.offline:
            raise HubError(
                f"{where} is not in the Hugging Face cache at {settings.cache_dir} and HF_HUB_OFFLINE is set, "
                "so nothing can be downloaded; pull it once with network access or unset HF_HUB_OFFLINE"
            ) from None
        raise HubError(
            f"cannot download {where} from {settings.endpoint} and it is not in the cache at {settings.cache_dir}; "
            "check the network connection and HF_ENDPOINT"
        ) from None
    except EntryNotFoundError as error:
        raise HubError(f"a file of {where} was not found on {settings.endpoint}: {error}") from None
    except OfflineModeIsEnabled:
        raise HubError(
            f"{where} needs the network but huggingface_hub is in offline mode (HF_HUB_OFFLINE was set when it "
            "was imported); unset HF_HUB_OFFLINE and start a new process"
        ) from None
    except HfHubHTTPError as error:
        first_line = str(error).splitlines()[0]
        raise HubError(f"the Hub at {settings.endpoint} rejected the request for {where}: {first_line}") from None
    except (httpx2.ConnectError, httpx2.TimeoutException) as error:
        raise HubError(f"cannot reach the Hub at {settings.endpoint} ({error}); check HF_ENDPOINT and the network") from None


def resolve_commit(settings: HubSettings, repo_id: str, revision: str) -> str:
    """Return the commit hash that ``revision`` (a branch, tag or commit) names in ``repo_id``.

    Offline, the commit is read from the cache's ``refs`` folder.

    Raises:
        HubError: For a missing repository or revision, or offline when the cache does not know it.
    """
    if settings.offline:
        commit = cached_commit(settings, repo_id, revision)
        if commit is None:
            raise HubError(
                f"{repo_id}@{revision} is not in the Hugging Face cache at {settings.cache_dir} and HF_HUB_OFFLINE "
                "is set, so nothing can be downloaded; pull it once with network access or unset HF_HUB_OFFLINE"
            )
        return commit

    with _hub_errors(settings, repo_id, revision):
        info = _api(settings).model_info(repo_id, revision=revision)
    if not is_commit_hash(info.sha):
        raise HubError(f"the Hub at {settings.endpoint} returned no commit hash for {repo_id}@{revision}")
    return info.sha


def list_remote_files(settings: HubSettings, repo_id: str, commit: str) -> dict[str, RemoteFile]:
    """Return the files of ``repo_id`` at ``commit`` with the digests the Hub reports for them."""
    with _hub_errors(settings, repo_id, commit):
        entries = list(_api(settings).list_repo_tree(repo_id, revision=commit, recursive=True))

    files = {}
    for entry in entries:
        if not hasattr(entry, "blob_id"):  # a folder
            continue
        files[entry.path] = RemoteFile(
            path=entry.path,
            size=int(entry.size),
            git_sha1=entry.blob_id,
            sha256=entry.lfs.sha256 if entry.lfs is not None else None,
        )
    return files


def download_file(settings: HubSettings, repo_id: str, filename: str, commit: str) -> Path:
    """Download one file at a pinned commit into the Hugging Face cache and return its snapshot path.

    A file that is already cached is returned without any request; offline, only cached files are
    returned.

    Raises:
        HubError: For a missing repository, revision or file, a network failure, or offline without the file.
    """
    from mtagbench import __version__

    with _hub_errors(settings, repo_id, commit):
        path = hf_hub_download(
            repo_id,
            filename,
            revision=commit,
            cache_dir=settings.cache_dir,
            endpoint=settings.endpoint,
            token=settings.token or False,
            local_files_only=settings.offline,
            library_name=LIBRARY_NAME,
            library_version=__version__,
        )
    return Path(path)


def cached_commit(settings: HubSettings, repo_id: str, revision: str) -> str | None:
    """Return the commit that ``revision`` pointed to when ``repo_id`` was last downloaded, or None."""
    if is_commit_hash(revision):
        return revision
    ref = repo_storage(settings, repo_id) / "refs" / revision
    if not ref.is_file():
        return None
    commit = ref.read_text(encoding="utf-8").strip()
    return commit if is_commit_hash(commit) else None


def record_ref(settings: HubSettings, repo_id: str, revision: str, commit: str) -> None:
    """Store in the cache that ``revision`` (a branch or tag) points at ``commit``, as ``hf_hub_download`` does.

    Downloads pinned to a commit hash do not write ``refs``, so without this an offline pull of
    ``ORG/NAME@main`` could not find the snapshot.
    """
    if is_commit_hash(revision):
        return
    atomic_write_text(repo_storage(settings, repo_id) / "refs" / revision, commit)


def cached_file(settings: HubSettings, repo_id: str, filename: str, commit: str) -> Path | None:
    """Return the cached snapshot path of ``filename`` at ``commit``, or None when it is not cached."""
    path = try_to_load_from_cache(repo_id, filename, cache_dir=settings.cache_dir, revision=commit)
    return Path(path) if isinstance(path, str) else None


def repo_storage(settings: HubSettings, repo_id: str) -> Path:
    """Return the cache folder of a model repository, ``models--ORG--NAME``."""
    return settings.cache_dir / repo_folder_name(repo_id=repo_id, repo_type="model")


def evict_cached_file(snapshot_path: Path) -> None:
    """Delete a cached file: its snapshot entry and the blob that entry links to.

    Snapshots of other commits that link to the same blob lose it too, so no snapshot can load the
    bad content and the next download fetches the file again.
    """
    blob = snapshot_path.resolve() if snapshot_path.is_symlink() else None
    snapshot_path.unlink(missing_ok=True)
    if blob is not None:
        blob.unlink(missing_ok=True)
    logger.warning("deleted %s from the Hugging Face cache", snapshot_path)


def upload_files(
    settings: HubSettings,
    repo_id: str,
    files: Mapping[str, bytes | Path],
    *,
    private: bool,
    branch: str,
    message: str,
) -> tuple[str, str]:
    """Create ``repo_id`` if needed and commit ``files`` to ``branch`` in one commit.

    Args:
        settings: Hub settings; the token must be set.
        repo_id: ``ORG/NAME`` of a model repository.
        files: Path inside the repository to the content or a local file.
        private: Create the repository as private (ignored when it exists).
        branch: Branch to commit to; created from ``main`` when missing.
        message: Commit message.

    Returns:
        ``(commit_hash, commit_url)``.

    Raises:
        HubError: Without a token, or when the Hub rejects a request.
    """
    require_token(settings)
    api = _api(settings)
    operations = [
        CommitOperationAdd(path_in_repo=name, path_or_fileobj=content if isinstance(content, bytes) else str(content))
        for name, content in files.items()
    ]

    with _hub_errors(settings, repo_id, branch):
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        if branch != DEFAULT_BRANCH:
            api.create_branch(repo_id, branch=branch, exist_ok=True)
        commit = api.create_commit(repo_id, operations, commit_message=message, revision=branch)
    logger.info("committed %d files to %s@%s: %s", len(operations), repo_id, branch, commit.oid)
    return commit.oid, commit.commit_url
