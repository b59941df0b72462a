"""Query-time cost of the word modalities' candidate search (`search.retrieval.span_candidates` for
speech, screen text and sound labels, as one search runs it) on a synthetic index of ~10k spans.

- data: `--videos` videos of `--spans` spans each (60% speech, 25% screen text, 15% sound
  labels), sentences of 5-14 words drawn from wordninja's 3,000 most common English words (a
  Zipf-like draw), a random unit sentence vector each (dim 384, as MiniLM makes);
  `--foreign F`: that share of the videos is Italian, Russian or Chinese instead (their speech
  and screen text in that language: small inflected vocabularies, and runs of Han characters);
- queries: `--queries` of 2-4 English words from the same vocabulary, plus with `--foreign` as
  many Italian, Russian and Chinese ones, each with a random unit sentence vector;
- figure: ms per query for the three modalities together, median and p95 over `--repeat`
  passes of all queries, after one warm-up pass, as CPU time of the process (steadier on a
  shared machine) and wall time; "candidates" is a digest of every candidate
  (video, start, match) of the warm-up pass: equal digests, equal candidate lists.

Runs on any version of vidsearch (only the store and `span_candidates` are used), so the same
command with another checkout on PYTHONPATH gives the figures before a change. It prints
figures only; nothing is asserted.

Usage: python benchmarks/bench_keywords.py [--videos 200] [--spans 50] [--foreign 0.0]
                                           [--queries 200] [--repeat 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import wordninja

from indexer.types import IndexedVideo, Modality, Space, TextSpan, VideoInfo
from search.params import Retrieval
from search.retrieval import Query, span_candidates
from search.store import Store
from search.types import ModelRecord

DIM = 384
ITALIAN = (
    "partita partite partito calcio squadra squadre giocatore giocatori allenatore stagione gol rete "
    "città strada strade tempo previsioni pioggia sole mare montagna casa case notizie governo"
)
RUSSIAN = (
    "матч матча матчи матчем команда команды игрок игрока игроки тренер сезон гол город города "
    "улица погода дождь солнце море дом дома новости правительство"
)
HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 600)]
KINDS = (Modality.SPEECH,) * 12 + (Modality.OCR,) * 5 + (Modality.AUDIO,) * 3


def _english() -> list[str]:
    costs = wordninja.DEFAULT_LANGUAGE_MODEL._wordcost
    return [w for w in sorted(costs, key=costs.__getitem__) if w.isalpha() and len(w) > 2][:3000]


def _sentence(rng: np.random.Generator, vocabulary: list[str], language: str) -> str:
    if language == "zh":
        return "".join(rng.choice(HAN, int(rng.integers(6, 20))))
    ranks = np.minimum(rng.zipf(1.3, int(rng.integers(5, 15))), len(vocabulary)) - 1
    return " ".join(vocabulary[r] for r in ranks)


def build(directory: Path, videos: int, spans: int, foreign: float, rng: np.random.Generator) -> None:
    english = _english()
    store = Store.open(directory, create=True)
    store.record_model(ModelRecord(Space.SENTENCE, "bench:random", DIM, True))
    for n in range(videos):
        language = str(rng.choice(["it", "ru", "zh"])) if rng.random() < foreign else "en"
        vocabulary = {"it": ITALIAN.split(), "ru": RUSSIAN.split()}.get(language, english)
        found = []
        for k in range(spans):
            kind = KINDS[k % len(KINDS)]
            words = _sentence(rng, english if kind == Modality.AUDIO else vocabulary, language)
            if kind == Modality.AUDIO:
                words = " ".join(words.split()[:2]).capitalize()
            found.append(TextSpan(kind, k * 3.0, k * 3.0 + 2.5, words, 0.9))
        vectors = rng.normal(size=(spans, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        info = VideoInfo(Path(f"/bench/{n:05d}.mp4"), spans * 3.0, 25.0, 64, 48, 0, True, "h264")
        modalities = (Modality.SPEECH, Modality.OCR, Modality.AUDIO)
        store.put(IndexedVideo(info, "h", 1, 1.0, (), (), modalities, tuple(found), vectors, language))
    store.save()
    store.close()


def queries(rng: np.random.Generator, count: int, foreign: float) -> list[str]:
    english = _english()[:1500]
    found = [" ".join(rng.choice(english, int(rng.integers(2, 5)))) for _ in range(count)]
    if foreign:
        found += [" ".join(rng.choice(ITALIAN.split(), 2)) for _ in range(count // 3)]
        found += [" ".join(rng.choice(RUSSIAN.split(), 2)) for _ in range(count // 3)]
        found += ["".join(rng.choice(HAN, 3)) for _ in range(count // 3)]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=200)
    parser.add_argument("--spans", type=int, default=50)
    parser.add_argument("--foreign", type=float, default=0.0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        build(Path(scratch), args.videos, args.spans, args.foreign, rng)
        texts = queries(rng, args.queries, args.foreign)
        vectors = rng.normal(size=(len(texts), DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        params = Retrieval()
        with Store.open(Path(scratch)) as store:
            times: list[float] = []
            cpu: list[float] = []
            digest = hashlib.sha256()
            for attempt in range(args.repeat + 1):
                for text, vector in zip(texts, vectors):
                    started, used = time.perf_counter(), time.process_time()
                    for modality in (Modality.SPEECH, Modality.OCR, Modality.AUDIO):
                        found = span_candidates(store, modality, Query(text=text, sentence=vector), params)
                        if not attempt:
                            shown = [(c.video.path.name, c.start, round(c.match, 6)) for c in found]
                            digest.update(repr(shown).encode())
                    if attempt:
                        times.append((time.perf_counter() - started) * 1000)
                        cpu.append((time.process_time() - used) * 1000)
        spans = args.videos * args.spans
        times.sort()
        cpu.sort()
        print(
            f"{spans} spans, {args.foreign:.0%} of videos non-English, {len(texts)} queries x {args.repeat}: "
            f"CPU median {statistics.median(cpu):.2f} ms, p95 {cpu[int(len(cpu) * 0.95)]:.2f} ms; "
            f"wall median {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms per query; "
            f"candidates {digest.hexdigest()[:12]}"
        )


if __name__ == "__main__":
    main()
