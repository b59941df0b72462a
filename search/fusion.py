"""One ranking from many modalities: candidates that overlap in time join one moment, and the
moment's score combines the best match of each modality in it.

Two fusion rules, chosen by name (`RULES`; both measured by `vidsearch eval`):
- `score`: match scores (0..1, already past each modality's no-match floor) combine as a noisy
  OR, 1 - prod(1 - w_m * s_m): agreement between modalities lifts a moment above any one alone.
- `rrf`: weighted reciprocal-rank fusion, sum of w_m / (60 + rank_m), which ignores score scales.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from indexer.types import Modality
from search.types import Evidence, VideoRecord

JOIN_SLACK = 0.5
"""Seconds by which a candidate may miss a moment and still join it (speech trails a cut)."""
RRF_K = 60.0


@dataclass(frozen=True)
class Candidate:
    """One modality's match: [start, end) seconds of `video`, `match` in 0..1, its rank (1-based)
    within that modality's list, and the evidence to show."""

    video: VideoRecord
    start: float
    end: float
    match: float
    rank: int
    evidence: Evidence


@dataclass
class Moment:
    seed: Candidate
    best: dict[Modality, Candidate] = field(default_factory=dict)
    score: float = 0.0


Rule = Callable[[Mapping[Modality, Candidate], Mapping[Modality, float]], float]


def noisy_or(best: Mapping[Modality, Candidate], weights: Mapping[Modality, float]) -> float:
    miss = 1.0
    for modality, candidate in best.items():
        miss *= 1.0 - min(1.0, weights.get(modality, 1.0) * candidate.match)
    return 1.0 - miss


def reciprocal_rank(best: Mapping[Modality, Candidate], weights: Mapping[Modality, float]) -> float:
    return sum(weights.get(m, 1.0) / (RRF_K + c.rank) for m, c in best.items())


RULES: dict[str, Rule] = {"score": noisy_or, "rrf": reciprocal_rank}
"""Fusion rules by name."""


def fuse(candidates: Sequence[Candidate], weights: Mapping[Modality, float], rule: str = "score") -> list[Moment]:
    """Moments, best first. Candidates are taken strongest first; each joins the first moment of
    its video whose seed it overlaps (within JOIN_SLACK) and that has no evidence of its modality
    yet; is dropped when it overlaps (strictly) a moment's evidence of its own modality, being a
    weaker find of the same thing; or else seeds a new moment. So what one modality found at
    different times stays apart (a counter's "ROUND 3" beside "ROUND 2" and "ROUND 4"). Joining
    against the seed, not the growing union, keeps moments from chaining."""
    combine = RULES[rule]
    moments: list[Moment] = []
    by_video: dict[int, list[Moment]] = {}
    for candidate in sorted(candidates, key=lambda c: -weights.get(c.evidence.modality, 1.0) * c.match):
        modality = candidate.evidence.modality
        here = by_video.setdefault(candidate.video.id, [])
        if any(modality in m.best and _overlaps(m.best[modality], candidate, 0.0) for m in here):
            continue
        home = next((m for m in here if modality not in m.best and _overlaps(m.seed, candidate)), None)
        if home is None:
            home = Moment(candidate)
            moments.append(home)
            here.append(home)
        home.best[modality] = candidate
    for moment in moments:
        moment.score = combine(moment.best, weights)
    return sorted(moments, key=lambda m: -m.score)


def _overlaps(seed: Candidate, other: Candidate, slack: float = JOIN_SLACK) -> bool:
    return other.start < seed.end + slack and other.end > seed.start - slack
