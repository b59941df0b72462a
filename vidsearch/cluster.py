"""Indexing on a Ray cluster (`vidsearch index --ray [ADDRESS]`): the `ray` worker backend.

The only module that imports ray, and only when a run asks for it. The driver (this process)
plans the jobs and writes every outcome into the store; the cluster only turns jobs into
outcomes. Each worker is a Ray actor that builds its own `VideoIndexer` once (the same models as
the driver, loaded on its first file) and runs `workers.work` per job, so a file ends the same
way as in local mode: indexed, or a `Failure` with its one-line reason.

- Actors, not tasks or Ray Data: the models are loaded once per worker and kept, and the driver
  decides how far ahead of the writer the cluster runs (`IN_FLIGHT` jobs per actor, drawn
  lazily from the planner), so memory stays bounded on the driver and on the cluster.
- Each actor reserves `settings.ray_cpus` CPUs (default 2: the pictures and the sound of a file
  are worked on side by side) and, when the cluster has GPUs and the device is not `cpu`,
  `settings.ray_gpus` GPUs (default 1). There are as many actors as the cluster's resources
  hold (at most `settings.ray_workers`), started as the first jobs arrive.
- An actor that dies (segfault, OOM kill, lost node) fails the file it was working on with a
  one-line reason and is replaced; the jobs queued behind it are sent again. When workers die
  again and again with nothing indexed in between, the run stops with `ClusterUnavailable`.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from indexer.errors import IndexerError, describe
from indexer.pipeline import Models, StageClock, VideoIndexer
from indexer.types import Modality, ModelRole
from vidsearch import models as registry
from vidsearch.settings import Settings
from vidsearch.workers import Failure, Job, Outcome, Setup, reason, work

log = logging.getLogger(__name__)

IN_FLIGHT = 2
"""Jobs sent to one actor and not yet answered: one being worked on, one waiting behind it."""

RESENDS = 2
"""How often a job queued behind a file that killed its worker is sent again before it fails."""

PROBE_SECONDS = 10.0
"""How long a HOST:PORT address may take to accept a connection before the run gives up."""


class ClusterUnavailable(IndexerError):
    """Ray is not installed, the cluster cannot be reached, or its workers keep dying."""

    def __init__(self, address: str | None, reason: str) -> None:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        super().__init__(f"cannot index on {where}: {reason}")
        self.address = address
        self.reason = reason


class IndexWorker:
    """What runs inside one Ray actor: the per-file pipeline with this worker's own models.

    `roles` names the models the driver has: the worker resolves those strictly, so it never
    indexes with fewer (or more) models than the index records.
    """

    def __init__(self, settings: Settings, given: Models | None, roles: tuple[ModelRole, ...]) -> None:
        self.settings = settings
        self.given = given
        self.roles = roles
        self.clock = StageClock()
        self.indexer: VideoIndexer | None = None
        self.broken = ""

    def index(self, job: Job) -> tuple[Outcome, dict[str, float]]:
        """The job's outcome and the seconds this job spent per stage in this worker."""
        before = dict(self.clock.seconds)
        if self.indexer is None and not self.broken:
            try:
                with self.clock.stage("worker_setup"):
                    self.indexer = VideoIndexer(self.settings.index_params(), self._models(), self.clock)
            except Exception as exc:  # a node without the weights fails its files, loudly
                self.broken = f"its Ray worker cannot load the models: {describe(exc)}"
        if self.indexer is None:
            return Failure(job.path, self.broken), {}
        outcome = work(self.indexer, job)
        spent = {name: total - before.get(name, 0.0) for name, total in self.clock.seconds.items()}
        return outcome, {name: seconds for name, seconds in spent.items() if seconds > 0}

    def _models(self) -> Models:
        wanted = tuple(m for m in Modality if m in self.roles and m in self.settings.modalities)
        narrowed = self.settings.model_copy(update={"modalities": wanted})
        resolved = registry.resolve(narrowed, self.given, frozenset(self.roles)).models
        return Models.from_roles({role: resolved.of(role) for role in self.roles})


@dataclass(eq=False)
class _Actor:
    handle: Any
    calls: deque[_Call] = field(default_factory=deque)
    """Jobs sent and not yet answered, in the order sent (the order the actor runs them)."""


@dataclass(eq=False)
class _Call:
    ref: Any
    actor: _Actor
    job: Job
    resent: int


class RayWorkers:
    """The `ray` backend: jobs fanned out to Ray actors, outcomes back to the one writer."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.address = setup.address or os.environ.get("RAY_ADDRESS") or None
        self.ray = _import_ray(self.address)
        self.started = False
        self.actors: list[_Actor] = []
        self.deaths = 0
        with setup.clock.stage("ray_connect"):
            self._connect()
        try:
            self._plan_actors()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():  # the caller (an app, a test) already holds a connection: use it
            return
        try:
            if self.address:
                _probe(self.address)
                ray.init(address=self.address, log_to_driver=False, logging_level=logging.WARNING)
            else:
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # a throwaway instance reports nothing
                ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        except Exception as exc:
            raise ClusterUnavailable(self.address, describe(exc)) from exc
        self.started = True

    def _plan_actors(self) -> None:
        """How many actors, each reserving what: from the cluster's resources and the settings."""
        total = self.ray.cluster_resources()
        settings = self.setup.settings
        cpus = min(settings.ray_cpus, max(total.get("CPU", 1.0), 1.0))
        size = max(1, int(total.get("CPU", 1.0) // cpus))
        gpus = 0.0
        if total.get("GPU", 0.0) > 0 and settings.device != "cpu":
            gpus = min(settings.ray_gpus, total["GPU"])
            size = min(size, max(1, int(total["GPU"] // gpus))) if gpus > 0 else size
        size = min(size, settings.ray_workers or size)
        self.size = size
        self.options: dict[str, Any] = {
            "num_cpus": cpus,
            "num_gpus": gpus,
            "max_restarts": 0,
            "max_task_retries": 0,
            "scheduling_strategy": "SPREAD",
        }
        roles = tuple(role for role, model in self.setup.models.by_role().items() if model is not None)
        self.arguments = (self.setup.settings, self.setup.given, roles)
        self.remote = self.ray.remote(IndexWorker)
        nodes = sum(1 for node in self.ray.nodes() if node.get("Alive"))
        log.info(
            "ray: up to %d worker%s (%g CPU%s each) on %d node%s",
            size,
            "" if size == 1 else "s",
            cpus,
            f", {gpus:g} GPU" if gpus else "",
            nodes,
            "" if nodes == 1 else "s",
        )

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Outcome]]:
        ray = self.ray
        planned = iter(jobs)
        again: deque[tuple[Job, int]] = deque()
        calls: dict[Any, _Call] = {}
        drawn_all = False
        while True:
            while again or not drawn_all:
                actor = self._free_actor()
                if actor is None:
                    break
                if again:
                    job, resent = again.popleft()
                else:
                    drawn = next(planned, None)
                    if drawn is None:
                        drawn_all = True
                        break
                    job, resent = drawn, 0
                call = _Call(actor.handle.index.remote(job), actor, job, resent)
                actor.calls.append(call)
                calls[call.ref] = call
            if not calls:
                return
            (ref,), _ = ray.wait(list(calls), num_returns=1)
            call = calls[ref]
            try:
                outcome, seconds = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # raised by the worker's code: this job alone failed
                outcome, seconds = Failure(call.job.path, reason(call.job.path, exc.cause or exc)), {}
            except ray.exceptions.RayError:  # the actor died, its node was lost, or it cannot start
                yield from self._lost(call.actor, calls, again)
                continue
            self._done(call, calls)
            self._answered(seconds)
            yield call.job, outcome

    def _answered(self, seconds: dict[str, float]) -> None:
        """An actor answered: add its stage seconds to the run's clock; the actors are alive."""
        self.deaths = 0
        for stage, spent in seconds.items():
            self.setup.clock.seconds[stage] = self.setup.clock.seconds.get(stage, 0.0) + spent

    def _free_actor(self) -> _Actor | None:
        """The actor to send the next job to: an idle one, else a new one while there is room,
        else the least busy one below `IN_FLIGHT`, else None (wait for an answer)."""
        idle = next((a for a in self.actors if not a.calls), None)
        if idle is not None:
            return idle
        if len(self.actors) < self.size:
            actor = _Actor(self.remote.options(**self.options).remote(*self.arguments))
            self.actors.append(actor)
            return actor
        least = min(self.actors, key=lambda a: len(a.calls), default=None)
        return least if least is not None and len(least.calls) < IN_FLIGHT else None

    def _done(self, call: _Call, calls: dict[Any, _Call]) -> None:
        calls.pop(call.ref, None)
        call.actor.calls.remove(call)

    def _lost(
        self, actor: _Actor, calls: dict[Any, _Call], again: deque[tuple[Job, int]]
    ) -> Iterator[tuple[Job, Outcome]]:
        """An actor died: answers it gave before dying still count; the job it was working on
        (the first unanswered, since an actor runs its jobs in the order sent) fails with the
        reason; the jobs queued behind it go to other actors. A new actor takes its place."""
        ray = self.ray
        self.actors.remove(actor)
        with suppress(Exception):  # it is gone already; this only makes sure
            ray.kill(actor.handle, no_restart=True)
        why = ""
        for call in list(actor.calls):
            self._done(call, calls)
            if not why:
                try:
                    outcome, seconds = ray.get(call.ref)
                except ray.exceptions.RayError as exc:
                    why = died(exc)
                    yield call.job, Failure(call.job.path, why)
                else:
                    self._answered(seconds)
                    yield call.job, outcome
            elif call.resent < RESENDS:
                again.append((call.job, call.resent + 1))
            else:
                yield call.job, Failure(call.job.path, why)
        self.deaths += 1
        if self.deaths > 2 * self.size + 1:
            raise ClusterUnavailable(self.address, f"{self.deaths} workers died in a row; the last: {why}")
        log.warning("ray: a worker died (%s); starting another", why)

    def close(self) -> None:
        """Stop this run's actors; shut Ray down only if this run started or connected it."""
        ray = self.ray
        for actor in self.actors:
            with suppress(Exception):  # a dead actor or a lost connection: nothing left to stop
                ray.kill(actor.handle, no_restart=True)
        self.actors = []
        if self.started and ray.is_initialized():
            ray.shutdown()
        self.started = False


def died(exc: BaseException) -> str:
    """The one-line reason of a file whose worker died under it, from Ray's many-line message."""
    text = str(exc)
    detail = re.search(r"Worker exit detail: (.+?\.)(?:\s|$)", text)
    cause = detail.group(1) if detail else describe(exc)
    if type(exc).__name__ == "OutOfMemoryError" or "low on memory" in text:  # Ray's memory monitor killed it
        cause = f"out of memory ({cause})"
    return f"its Ray worker died while indexing it ({type(exc).__name__}: {cause})"[:300]


def _probe(address: str, timeout: float = PROBE_SECONDS) -> None:
    """Fail fast when nothing answers at a HOST:PORT address (Ray itself retries for minutes)."""
    host, _, port = address.split("://")[-1].rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", or an address Ray resolves its own way
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ClusterUnavailable(address, f"nothing answers at {host}:{port} ({describe(exc)})") from exc


def _import_ray(address: str | None) -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ClusterUnavailable(
            address,
            f"the ray package is not installed ({describe(exc)}); install it with: pip install 'vidsearch[ray]'",
        ) from exc
    return ray
