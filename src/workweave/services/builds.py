"""Background builds of slow results (the study report, the dashboard's figures), each cached
until the study's data changes.

A `Builds` registry runs builds on a small pool of worker threads (one by default: the work is
heavy, and a second concurrent build would only slow the first). Each build is known by a
`BuildKey`: the study (its store and id), the kind of result, the options it was built with and
the study's *data version* (`content_version`, a digest that changes with any import, sync,
correction, erasure, merge or set-up edit). Asking for a key that is being built joins that
build; asking for one that is built answers from memory (bounded, least recently used first
out) or from the disk cache, which survives a restart; once a study's data version moves on,
its older results are dropped from both. A failed build keeps its error until it is retried.

Nothing here knows HTTP: the web app maps a `Build`'s status to a page, and the command line
may use the same registry.

    >>> builds = Builds(cache_dir_for(store.location))
    >>> build = builds.study_report(store, study_id, report.ReportOptions(B=500))
    >>> build.status, build.percent, build.stage      # 'running', 40, 'computing metrics'
    >>> build.wait(); html = build.result             # bytes of the self-contained page
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import multiprocessing
import os
import pickle
import queue
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workweave.domain.errors import WorkweaveError
from workweave.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
Builder = Callable[[Progress], Any]

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
CACHE_FOLDER = ".workweave-cache"
PROCESS_ABOVE_SESSIONS = 2000
DEFAULT_STEPS = {"study-report": 14, "dashboard": 3}
"""How many progress stages a build of each kind reports, until one has been seen to finish
(the percentage shown is stages done over stages expected)."""


@dataclass(frozen=True)
class BuildKey:
    """What a result is: a study (`scope`: its store and id), a kind, the options it was
    built with (sorted name-value pairs) and the study's data version."""

    scope: str
    kind: str
    options: tuple[tuple[str, Any], ...]
    version: str

    @property
    def slot(self) -> tuple[str, str, tuple[tuple[str, Any], ...]]:
        """The key without the data version: one result per slot is current."""
        return (self.scope, self.kind, self.options)

    def digest(self, part: str) -> str:
        value = {
            "scope": self.scope,
            "version": self.version,
            "options": repr((self.kind, self.options)),
        }[part]
        return hashlib.sha256(value.encode()).hexdigest()[:24]


def build_key(
    store: Store, study_id: int, kind: str, options: Mapping[str, Any], version: str
) -> BuildKey:
    return BuildKey(
        scope=f"{store.location}#{study_id}",
        kind=kind,
        options=tuple(sorted((str(k), v) for k, v in options.items())),
        version=version,
    )


@dataclass
class Build:
    """One build: its status ('queued', 'running', 'done' or 'failed'), the stage it reports,
    its progress in percent, and its result or error."""

    key: BuildKey
    status: str = QUEUED
    stage: str = "waiting for another build to finish"
    step: int = 0
    steps: int = 1
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    error: str | None = None
    result: Any = None
    cached: bool = False
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def percent(self) -> int:
        if self.status == DONE:
            return 100
        if self.status == QUEUED:
            return 0
        return min(95, int(100 * self.step / max(self.steps, self.step + 1)))

    @property
    def ready(self) -> bool:
        return self.status == DONE

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the build has finished (done or failed); False on timeout."""
        return self._done.wait(timeout)

    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def describe(self) -> dict[str, Any]:
        """The build's status for a client: JSON-friendly, without the result."""
        return {
            "status": self.status,
            "stage": self.stage,
            "percent": self.percent,
            "step": self.step,
            "steps": self.steps,
            "elapsed_s": round(self.elapsed(), 1),
            "error": self.error,
            "cached": self.cached,
        }


def _size(result: Any) -> int:
    return len(result) if isinstance(result, bytes | str) else 1


class Builds:
    """A registry of background builds with a bounded memory cache and an optional disk cache.

    `workers`: builds that may run at once (1 or 2 on a small machine); `processes`: build
    the study report and dashboard figures of a study of more than `process_above` sessions
    in a process of their own (the server stays responsive while they compute; a small
    study builds faster in the worker thread than a new process starts); `cache_dir`: where
    results that are bytes are kept across restarts (None: memory only); `memory_items` and
    `memory_bytes` bound the memory cache."""

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        *,
        workers: int = 1,
        memory_items: int = 32,
        memory_bytes: int = 256 * 1024 * 1024,
        processes: bool = True,
        process_above: int = PROCESS_ABOVE_SESSIONS,
    ) -> None:
        if not 1 <= workers <= 4:
            raise ValueError("workers must be between 1 and 4")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.memory_items = memory_items
        self.memory_bytes = memory_bytes
        self.workers = workers
        self.processes = processes
        self.process_above = process_above
        self._queue: queue.SimpleQueue[tuple[Build, Builder] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._memory: OrderedDict[BuildKey, Any] = OrderedDict()
        self._jobs: dict[BuildKey, Build] = {}
        self._latest: dict[str, str] = {}  # scope -> newest data version seen
        self._steps: dict[str, int] = dict(DEFAULT_STEPS)
        self.builds_started = 0

    # -- the cache ----------------------------------------------------------------------------

    def _path(self, key: BuildKey) -> Path | None:
        if self.cache_dir is None:
            return None
        return (
            self.cache_dir
            / key.digest("scope")
            / key.digest("version")
            / f"{key.kind}-{key.digest('options')}.bin"
        )

    def _remember(self, key: BuildKey, result: Any) -> None:
        self._memory[key] = result
        self._memory.move_to_end(key)
        while len(self._memory) > 1 and (
            len(self._memory) > self.memory_items
            or sum(_size(v) for v in self._memory.values()) > self.memory_bytes
        ):
            self._memory.popitem(last=False)

    def _see_version(self, key: BuildKey) -> None:
        """Drop what was built from older data of the key's study (memory, failures, disk)."""
        if self._latest.get(key.scope) == key.version:
            return
        self._latest[key.scope] = key.version
        for old in [k for k in self._memory if k.scope == key.scope and k.version != key.version]:
            del self._memory[old]
        for old, job in list(self._jobs.items()):
            if old.scope == key.scope and old.version != key.version and job.status != RUNNING:
                del self._jobs[old]
        path = self._path(key)
        if path is not None and path.parent.parent.is_dir():
            for folder in path.parent.parent.iterdir():
                if folder.name != key.digest("version"):
                    shutil.rmtree(folder, ignore_errors=True)

    def _from_disk(self, key: BuildKey) -> bytes | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _to_disk(self, key: BuildKey, result: bytes) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as out:
                out.write(result)
            os.replace(tmp, path)
        except OSError as exc:  # a full or read-only disk costs a rebuild after restart only
            log.warning("could not keep a built result in %s: %s", path.parent, exc)

    # -- builds -------------------------------------------------------------------------------

    def get(self, key: BuildKey) -> Build | None:
        """The build of `key` if it is running, failed or built (memory or disk), else None."""
        with self._lock:
            self._see_version(key)
            return self._lookup(key)

    def _lookup(self, key: BuildKey) -> Build | None:
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._finished(key, self._memory[key])
        job = self._jobs.get(key)
        if job is not None:
            return job
        found = self._from_disk(key)
        if found is not None:
            self._remember(key, found)
            return self._finished(key, found)
        return None

    def _finished(self, key: BuildKey, result: Any) -> Build:
        build = Build(key, status=DONE, stage="built", result=result, cached=True)
        build.finished = build.started
        build._done.set()
        return build

    def start(self, key: BuildKey, builder: Builder, *, retry: bool = False) -> Build:
        """The build of `key`: the built result, the running build (joined, not repeated), its
        failure (unless `retry`), or a new build of `builder(progress)` on the pool. A result
        that is bytes is kept on disk too."""
        with self._lock:
            self._see_version(key)
            found = self._lookup(key)
            if found is not None and not (retry and found.failed):
                return found
            job = Build(key, steps=self._steps.get(key.kind, 10))
            self._jobs[key] = job
            self.builds_started += 1
        self._queue.put((job, builder))
        self._ensure_workers()
        return job

    def _ensure_workers(self) -> None:
        # daemon threads: stopping the server never waits for a build to finish
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.workers:
                worker = threading.Thread(target=self._work, name="workweave-build", daemon=True)
                worker.start()
                self._threads.append(worker)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._run(*item)

    def _run(self, job: Build, builder: Builder) -> None:
        def progress(stage: str) -> None:
            if job.status != RUNNING:
                return
            job.step += 1
            job.stage = stage

        job.status, job.stage, job.started = RUNNING, "starting", time.monotonic()
        try:
            result = builder(progress)
        except WorkweaveError as exc:
            job.error = str(exc)
        except Exception as exc:  # a build must never take the worker down with it
            log.exception("building %s failed", job.key.kind)
            job.error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            job.finished = time.monotonic()
            if job.error is None:
                job.result = result
                self._steps[job.key.kind] = max(job.step, 1)
                current = self._latest.get(job.key.scope) == job.key.version
                if current:
                    self._remember(job.key, result)
                    if isinstance(result, bytes):
                        self._to_disk(job.key, result)
                self._jobs.pop(job.key, None)
                job.status, job.stage = DONE, "built"
            else:
                job.status, job.stage = FAILED, "failed"
        job._done.set()

    def clear(self) -> None:
        """Forget every result and finished build (memory and disk); running builds go on."""
        with self._lock:
            self._memory.clear()
            for key, job in list(self._jobs.items()):
                if job.status != RUNNING:
                    del self._jobs[key]
            if self.cache_dir is not None:
                shutil.rmtree(self.cache_dir, ignore_errors=True)

    def shutdown(self) -> None:
        """Stop the workers once the builds under way have finished (queued ones are not run)."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].status, item[0].stage, item[0].error = FAILED, "failed", "stopped"
                item[0]._done.set()
        for _ in self._threads:
            self._queue.put(None)

    # -- a study's results --------------------------------------------------------------------

    def study_report(
        self, store: Store, study_id: int, options: Any, *, retry: bool = False
    ) -> Build:
        """The study report (``report.study_report(store, study_id, options)``) as HTML bytes.
        `options` is a ``report.ReportOptions``; its fields that change the page key the
        cache."""
        key = report_key(store, study_id, options)
        return self.start(key, self._builder(_report_html, store, study_id, options), retry=retry)

    def dashboard(
        self,
        store: Store,
        study_id: int,
        compute: Callable[[Store, int, Progress], dict[str, Any]],
        *,
        retry: bool = False,
    ) -> Build:
        """A study's dashboard figures: ``compute(store, study_id, progress)`` (a module-level
        function) -> a dict of JSON values, kept as JSON bytes (``json.loads(build.result)``
        gives it back)."""
        key = dashboard_key(store, study_id)
        return self.start(key, self._builder(_figures_json, store, study_id, compute), retry=retry)

    def _builder(self, fn: Callable[..., bytes], store: Store, study_id: int, arg: Any) -> Builder:
        """`fn(progress, store, study_id, arg)`: in a process of its own when the registry
        runs builds in processes, the study has more than `process_above` sessions and `arg`
        can be sent there; else in the worker thread. (Decided when the build runs, so that
        a view answered from the cache pays nothing for it.)"""

        def build(progress: Progress) -> bytes:
            if self.processes and _sessions(store, study_id) > self.process_above:
                try:
                    pickle.dumps(arg)
                except Exception:  # e.g. options holding a lambda: build in this process
                    pass
                else:
                    url = store.engine.url.render_as_string(hide_password=False)
                    return _in_process(fn, url, study_id, arg, progress)
            return fn(progress, store, study_id, arg)

        return build


def _sessions(store: Store, study_id: int) -> int:
    return int(store.listings.study_data_version(study_id)[2])


# -- the builds themselves ----------------------------------------------------------------------


def _report_html(progress: Progress, store: Store, study_id: int, options: Any) -> bytes:
    from workweave import report

    doc = report.study_report(store, study_id, options, progress=progress)
    progress("writing the page")
    return doc.html().encode("utf-8")


def _figures_json(progress: Progress, store: Store, study_id: int, compute: Any) -> bytes:
    return json.dumps(compute(store, study_id, progress), default=_json_value).encode()


def _in_process(
    fn: Callable[..., bytes], url: str, study_id: int, arg: Any, progress: Progress
) -> bytes:
    """Run a build in a new (spawned, daemonic) process, so that its work never holds this
    process's interpreter lock while the server answers other requests; its progress and its
    result come back through a pipe."""
    ctx = multiprocessing.get_context("spawn")
    mine, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child, args=(theirs, fn, url, study_id, arg), name="workweave-build", daemon=True
    )
    proc.start()
    theirs.close()
    try:
        while True:
            try:
                kind, value = mine.recv()
            except EOFError:
                proc.join(5)
                raise WorkweaveError(
                    f"the build stopped unexpectedly (exit code {proc.exitcode}; out of memory?)"
                ) from None
            if kind == "progress":
                progress(value)
            elif kind == "done":
                return bytes(value)
            elif kind == "error":
                raise WorkweaveError(value)
            else:
                raise RuntimeError(value)
    finally:
        mine.close()
        proc.join(5)
        if proc.is_alive():
            proc.terminate()


def _child(conn: Any, fn: Callable[..., bytes], url: str, study_id: int, arg: Any) -> None:
    store = Store.open(url)
    try:
        result = fn(lambda stage: conn.send(("progress", stage)), store, study_id, arg)
        conn.send(("done", result))
    except WorkweaveError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:
        log.exception("building failed")
        conn.send(("crash", f"{type(exc).__name__}: {exc}"))
    finally:
        store.close()
        conn.close()


def report_key(store: Store, study_id: int, options: Any) -> BuildKey:
    """The key of a study report built with `options` (a ``report.ReportOptions``) from the
    study's current data."""
    fields = {k: "callable" if callable(v) else v for k, v in vars(options).items()}
    return build_key(
        store, study_id, "study-report", _plain(fields), content_version(store, study_id)
    )


def dashboard_key(store: Store, study_id: int) -> BuildKey:
    """The key of a study's dashboard figures from its current data."""
    return build_key(store, study_id, "dashboard", {}, content_version(store, study_id))


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, int | float | str | bool | None) else repr(v)
        for k, v in fields.items()
    }


def _json_value(value: Any) -> Any:
    """numpy scalars and other number-likes as plain numbers; anything else as text."""
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value
    return str(value)


MEMO_SECONDS = 10.0
"""How long a study's data version is taken as known while nothing has been committed through
any store handle of this process and the study's session count, newest session and newest
projection are unchanged (changes made by another process that leave those alone, such as a
merge from the command line while the server runs, are seen within this time)."""

_memo: dict[tuple[str, int], tuple[int, tuple[Any, ...], float, str]] = {}
_memo_lock = threading.Lock()
_commits = [0]
_watched: weakref.WeakSet[Any] = weakref.WeakSet()


def _count_commit(*_args: Any) -> None:
    _commits[0] += 1


def _watch(store: Store) -> None:
    from sqlalchemy import event

    with _memo_lock:
        if store.engine not in _watched:
            event.listen(store.engine, "commit", _count_commit)
            _watched.add(store.engine)


def content_version(store: Store, study_id: int) -> str:
    """The study's data version: a digest that changes whenever anything its reports and
    dashboard are computed from does (``store.listings.study_content_version``). Remembered
    while no transaction has committed in this process and the study's sessions look the same
    (`MEMO_SECONDS` at most), so that a view answered from the cache stays cheap."""
    _watch(store)
    commits = _commits[0]
    cheap = store.listings.study_data_version(study_id)
    now = time.monotonic()
    slot = (store.location, study_id)
    with _memo_lock:
        found = _memo.get(slot)
    if found is not None and found[:2] == (commits, cheap) and now - found[2] < MEMO_SECONDS:
        return found[3]
    digest = store.listings.study_content_version(study_id)
    with _memo_lock:
        if len(_memo) > 256:
            _memo.clear()
        _memo[slot] = (commits, cheap, now, digest)
    return digest


def cache_dir_for(location: str) -> Path:
    """Where built results are kept: a ``.workweave-cache/builds`` folder beside a SQLite
    store (in its workspace), else a folder in the temporary directory named for the store."""
    if "://" not in location and location not in ("", ":memory:"):
        return Path(location).expanduser().resolve().parent / CACHE_FOLDER / "builds"
    name = hashlib.sha256(location.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "workweave-builds" / name


__all__ = [
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "Build",
    "BuildKey",
    "Builds",
    "build_key",
    "cache_dir_for",
    "content_version",
    "dashboard_key",
    "report_key",
]
