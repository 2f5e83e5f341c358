"""A Hugging Face Hub compatible HTTP server on 127.0.0.1 for tests.

It implements the routes that ``huggingface_hub`` 2.4 uses to create a model repository, commit
files, read repository information and file listings, and download files:

- ``POST /api/repos/create`` (409 with the repo ``url`` when it exists)
- ``POST /api/validate-yaml``
- ``POST /api/models/{id}/branch/{branch}``
- ``POST /api/models/{id}/preupload/{rev}`` (returns ``uploadMode: regular`` for every file)
- ``POST /api/models/{id}/commit/{rev}`` (NDJSON body, file contents in base64)
- ``GET /api/models/{id}`` and ``GET /api/models/{id}/revision/{rev}``
- ``GET /api/models/{id}/tree/{rev}``
- ``HEAD`` and ``GET /{id}/resolve/{rev}/{path}`` with ``ETag``, ``X-Repo-Commit`` and ``Content-Length``

Files named ``*.safetensors`` are presented the way the Hub presents Git LFS files: the tree lists
their ``lfs.oid`` (SHA-256) and the resolve route sends ``X-Linked-Etag`` and ``X-Linked-Size``.
Other files are plain Git blobs whose ETag is the git blob SHA-1. Errors carry the ``X-Error-Code``
header (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) that the client maps to its
exception classes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors",)
DEFAULT_BRANCH = "main"


def git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def is_lfs(path: str) -> bool:
    return path.endswith(LFS_SUFFIXES)


@dataclass
class Repository:
    """A model repository: commits as full file snapshots, and branches pointing at commits."""

    repo_id: str
    private: bool
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> str | None:
        if revision in self.branches:
            return self.branches[revision]
        if revision in self.commits:
            return revision
        return None


class HubState:
    """Repositories, tokens and fault injection shared by the request handlers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.repositories: dict[str, Repository] = {}
        self.tampered: set[tuple[str, str]] = set()
        self.requests: list[tuple[str, str]] = []
        self._counter = 0

    def new_commit_id(self, repo_id: str) -> str:
        self._counter += 1
        return hashlib.sha1(f"{repo_id}:{self._counter}".encode(), usedforsecurity=False).hexdigest()

    def commit(self, repo: Repository, branch: str, files: dict[str, bytes], deleted: set[str]) -> str:
        parent = repo.branches.get(branch)
        snapshot = dict(repo.commits[parent]) if parent else {}
        snapshot.update(files)
        for path in deleted:
            snapshot.pop(path, None)
        commit_id = self.new_commit_id(repo.repo_id)
        repo.commits[commit_id] = snapshot
        repo.branches[branch] = commit_id
        return commit_id

    def tamper(self, repo_id: str, path: str) -> None:
        """Serve ``path`` of ``repo_id`` with its last byte changed, keeping the headers of the original."""
        self.tampered.add((repo_id, path))


API_REPO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?$")
API_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$")
API_PREUPLOAD = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/preupload/(?P<rev>[^/]+)$")
API_COMMIT = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/commit/(?P<rev>[^/]+)$")
API_BRANCH = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/branch/(?P<branch>[^/]+)$")
RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")


class HubHandler(BaseHTTPRequestHandler):
    server: HubHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    # Responses

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def _json(self, status: int, value: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _error(self, status: int, code: str | None, message: str, headers: dict[str, str] | None = None) -> None:
        extra = dict(headers or {})
        if code:
            extra["X-Error-Code"] = code
        extra["X-Error-Message"] = message
        body = json.dumps({"error": message}).encode()
        self._send(status, b"" if self.command == "HEAD" else body, {"Content-Type": "application/json", **extra}, head=self.command == "HEAD")

    # Request helpers

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else None

    def _repository(self, repo_id: str) -> Repository | None:
        repo = self.server.state.repositories.get(repo_id)
        if repo is None or (repo.private and self._token() is None):
            self._error(404, "RepoNotFound", "Repository not found")
            return None
        return repo

    def _commit(self, repo: Repository, revision: str) -> str | None:
        commit = repo.resolve(unquote(revision))
        if commit is None:
            self._error(404, "RevisionNotFound", "Invalid rev id: " + unquote(revision))
        return commit

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        self.server.state.requests.append((self.command, path))
        with self.server.state.lock:
            routes = {
                "POST": [
                    (re.compile(r"^/api/repos/create$"), self._create_repo),
                    (re.compile(r"^/api/validate-yaml$"), self._validate_yaml),
                    (API_BRANCH, self._create_branch),
                    (API_PREUPLOAD, self._preupload),
                    (API_COMMIT, self._create_commit),
                ],
                "GET": [(API_TREE, self._tree), (API_REPO, self._repo_info), (RESOLVE, self._resolve)],
                "HEAD": [(RESOLVE, self._resolve)],
            }
            for pattern, handler in routes.get(self.command, []):
                match = pattern.match(path)
                if match:
                    handler(**{key: value for key, value in match.groupdict().items()})
                    return
            self._error(404, None, f"no route for {self.command} {path}")

    do_GET = do_POST = do_HEAD = _dispatch

    # Routes

    def _create_repo(self) -> None:
        if self._token() is None:
            self._error(401, None, "Invalid credentials in Authorization header")
            return
        payload = json.loads(self._body() or b"{}")
        repo_id = f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
        url = f"{self.server.base_url}/{repo_id}"
        state = self.server.state
        if repo_id in state.repositories:
            self._json(409, {"error": "You already created this model repo", "url": url})
            return
        repo = Repository(repo_id=repo_id, private=payload.get("visibility") == "private" or bool(payload.get("private")))
        state.repositories[repo_id] = repo
        state.commit(repo, DEFAULT_BRANCH, {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"}, set())
        self._json(200, {"url": url, "name": repo_id})

    def _validate_yaml(self) -> None:
        self._body()
        self._json(200, {"errors": [], "warnings": []})

    def _create_branch(self, repo: str, branch: str) -> None:
        repository = self._repository(repo)
        if repository is None:
            return
        payload = json.loads(self._body() or b"{}")
        branch = unquote(branch)
        if branch in repository.branches:
            self._error(409, None, f"Reference {branch} already exists")
            return
        start = repository.resolve(payload.get("startingPoint") or DEFAULT_BRANCH)
        if start is None:
            self._error(404, "RevisionNotFound", "Invalid rev id")
            return
        repository.branches[branch] = start
        self._json(200, {})

    def _preupload(self, repo: str, rev: str) -> None:
        repository = self._repository(repo)
        if repository is None:
            return
        payload = json.loads(self._body() or b"{}")
        commit = repository.resolve(unquote(rev))
        existing = repository.commits.get(commit, {}) if commit else {}
        files = [
            {
                "path": item["path"],
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": git_blob_sha1(existing[item["path"]]) if item["path"] in existing else None,
            }
            for item in payload.get("files", [])
        ]
        self._json(200, {"files": files, "commitOid": commit})

    def _create_commit(self, repo: str, rev: str) -> None:
        if self._token() is None:
            self._error(401, None, "Invalid credentials in Authorization header")
            return
        repository = self._repository(repo)
        if repository is None:
            return
        branch = unquote(rev)
        if branch not in repository.branches:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {branch}")
            return

        files: dict[str, bytes] = {}
        deleted: set[str] = set()
        summary = ""
        for line in self._body().splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            value = item["value"]
            if item["key"] == "header":
                summary = value.get("summary", "")
            elif item["key"] == "file":
                files[value["path"]] = base64.b64decode(value["content"]) if value.get("encoding") == "base64" else value["content"].encode()
            elif item["key"] == "deletedFile":
                deleted.add(value["path"])
            else:
                self._error(400, None, f"this test server does not support commit entries of kind {item['key']!r}")
                return
        commit_id = self.server.state.commit(repository, branch, files, deleted)
        self._json(
            200,
            {
                "commitUrl": f"{self.server.base_url}/{repo}/commit/{commit_id}",
                "commitOid": commit_id,
                "commitMessage": summary,
                "pullRequestUrl": None,
            },
        )

    def _repo_info(self, repo: str, rev: str | None = None) -> None:
        repository = self._repository(repo)
        if repository is None:
            return
        commit = self._commit(repository, rev or DEFAULT_BRANCH)
        if commit is None:
            return
        files = repository.commits[commit]
        self._json(
            200,
            {
                "id": repo,
                "modelId": repo,
                "sha": commit,
                "private": repository.private,
                "library_name": "mtagbench",
                "tags": [],
                "siblings": [{"rfilename": path} for path in sorted(files)],
            },
        )

    def _tree(self, repo: str, rev: str, path: str | None = None) -> None:
        repository = self._repository(repo)
        if repository is None:
            return
        commit = self._commit(repository, rev)
        if commit is None:
            return
        entries = []
        for file_path, content in sorted(repository.commits[commit].items()):
            if path and not file_path.startswith(path.rstrip("/") + "/"):
                continue
            entry = {"type": "file", "path": file_path, "size": len(content), "oid": git_blob_sha1(content)}
            if is_lfs(file_path):
                pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(content).hexdigest()}\nsize {len(content)}\n".encode()
                entry["oid"] = git_blob_sha1(pointer)
                entry["lfs"] = {"oid": hashlib.sha256(content).hexdigest(), "size": len(content), "pointerSize": len(pointer)}
            entries.append(entry)
        self._json(200, entries)

    def _resolve(self, repo: str, rev: str, path: str) -> None:
        repository = self._repository(repo)
        if repository is None:
            return
        commit = self._commit(repository, rev)
        if commit is None:
            return
        files = repository.commits[commit]
        path = unquote(path)
        if path not in files:
            self._error(404, "EntryNotFound", f"{path} does not exist on {rev}", {"X-Repo-Commit": commit})
            return

        content = files[path]
        headers = {"X-Repo-Commit": commit, "Content-Type": "application/octet-stream"}
        if is_lfs(path):
            digest = hashlib.sha256(content).hexdigest()
            headers.update({"ETag": f'"{digest}"', "X-Linked-Etag": f'"{digest}"', "X-Linked-Size": str(len(content))})
        else:
            headers["ETag"] = f'"{git_blob_sha1(content)}"'
        if (repo, path) in self.server.state.tampered:
            content = content[:-1] + bytes([content[-1] ^ 0xFF])
        self._send(200, content, headers, head=self.command == "HEAD")


class HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.state = HubState()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class LocalHub:
    """A running :class:`HubHTTPServer` in a background thread; use as a context manager."""

    def __init__(self) -> None:
        self.server = HubHTTPServer()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-hub", daemon=True)

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def state(self) -> HubState:
        return self.server.state

    def __enter__(self) -> LocalHub:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
