"""One ranking from many modalities: candidates that overlap in time join one moment, and the
moment's score combines the best match of each modality in it.

Fusion rules, chosen by name (`RULES`; measured by `vidsearch eval` and `benchmarks/fusion.py`):
- `score` (the default, `agreement`): the best weighted match, lifted by a damped share of the
  other modalities' (see AGREEMENT): agreement ranks a moment above any one modality alone, but
  two middling matches do not read as near-certain.
- `noisy-or`: 1 - prod(1 - w_m * s_m), the rule before `score`; two middling matches (0.53 and
  0.72) fuse to 0.87. Kept for comparison.
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
AGREEMENT = 0.5
"""How much each modality after the best one adds in `agreement`: a moment's score is
1 - (1 - m1) * prod(1 - AGREEMENT * m_i) over its weighted matches m1 >= m2 >= ... (0..1 each,
already past their no-match floors, where matches start at about 0.4). 1 would be a noisy OR,
0 the best match alone.

What a fused score means: it is never below the best modality's match. 0.9 and over: one
modality matches near-certainly (0.9+), or more than one agrees strongly (two at 0.85 make 0.91);
0.8-0.9: a strong match, or two good ones (two at 0.75 make 0.84); under 0.8: middling evidence,
however many modalities show it (0.53 and 0.72 make 0.79, where a noisy OR said 0.87).

Measured with `benchmarks/fusion.py` on both splits of the evaluation library (263 queries that
name a video and 90 off-topic ones each; speech, screen text and sound; no CLIP weights here, so
agreement with the visual modality was not measured): R@1, R@5 and MRR of every query kind are
the same for every damping from 0.15 to 1 (all: R@5 0.802 test, 0.837 calibration), while 0 (the
best match alone) drops cross_modal R@1 from 0.875 to 0.438 (test) and 1.0 to 0.5 (calibration).
0.5 is the largest round damping under which the calibration split's highest-scored wrong moment
with two modalities (0.820 by a noisy OR, 0.757 here) and the issue's 0.53 and 0.72 stay under
0.8; the top hits' Brier score moves by under 0.003 (test 0.122 -> 0.125)."""


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


def agreement(
    best: Mapping[Modality, Candidate], weights: Mapping[Modality, float], damping: float = AGREEMENT
) -> float:
    """1 - (1 - m1) * prod(1 - damping * m_i) over the moment's weighted matches, best first
    (see AGREEMENT); 0..1."""
    matches = sorted((min(1.0, weights.get(m, 1.0) * c.match) for m, c in best.items()), reverse=True)
    if not matches:
        return 0.0
    miss = 1.0 - matches[0]
    for match in matches[1:]:
        miss *= 1.0 - damping * match
    return 1.0 - miss


def noisy_or(best: Mapping[Modality, Candidate], weights: Mapping[Modality, float]) -> float:
    """1 - prod(1 - w_m * s_m): `agreement` with no damping."""
    return agreement(best, weights, 1.0)


def reciprocal_rank(best: Mapping[Modality, Candidate], weights: Mapping[Modality, float]) -> float:
    return sum(weights.get(m, 1.0) / (RRF_K + c.rank) for m, c in best.items())


RULES: dict[str, Rule] = {"score": agreement, "noisy-or": noisy_or, "rrf": reciprocal_rank}
"""Fusion rules by name."""


def fuse(
    candidates: Sequence[Candidate], weights: Mapping[Modality, float], rule: str | Rule = "score"
) -> list[Moment]:
    """Moments, best first, scored by `rule` (a name in RULES, or a rule itself). Candidates are
    taken strongest first; each joins the first moment of its video whose seed it overlaps (within
    JOIN_SLACK) and that has no evidence of its modality yet; is dropped when it overlaps
    (strictly) a moment's evidence of its own modality, being a weaker find of the same thing; or
    else seeds a new moment. So what one modality found at different times stays apart (a
    counter's "ROUND 3" beside "ROUND 2" and "ROUND 4"). Joining against the seed, not the
    growing union, keeps moments from chaining."""
    combine = RULES[rule] if isinstance(rule, str) else rule
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
