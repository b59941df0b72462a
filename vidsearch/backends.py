"""Who does the indexing jobs, by name: `local` (this process, `vidsearch.workers.InProcess`) or
`ray` (actors on a Ray cluster, `vidsearch.cluster`, imported only when asked for)."""

from __future__ import annotations

from collections.abc import Callable

from vidsearch.workers import InProcess, Setup, Workers


def _ray(setup: Setup) -> Workers:
    from vidsearch.cluster import RayWorkers

    return RayWorkers(setup)


BACKENDS: dict[str, Callable[[Setup], Workers]] = {"local": InProcess, "ray": _ray}
"""Worker backends by name: `local` (this process) and `ray` (a Ray cluster, `index --ray`)."""
