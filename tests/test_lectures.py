"""The lecture library's plan (scripts/make_lectures.py): talks of several topics whose truth is
where each topic's first words fall, camera cuts that keep away from the topic changes (so every
shot cut is a real baseline), and two splits that share no sentence."""

from __future__ import annotations

import itertools
from pathlib import Path

from scripts import make_lectures as lib

SECONDS = 3.2
"""Each fake sentence: voiced from 0.2 s to 3.0 s of a 3.2 s recording."""


def plans() -> dict[str, dict]:
    texts = {s for lecture in lib.LECTURES for t in lecture.topics for s in t.sentences()}
    voices = {text: lib.Voice(Path("unused.wav"), SECONDS, 0.2, 3.0) for text in texts}
    return {lecture.name: lib.plan(lecture, voices) for lecture in lib.LECTURES}


def test_topics_are_contiguous_and_start_at_their_first_words() -> None:
    for entry in plans().values():
        topics = entry["topics"]
        assert 4 <= len(topics) <= 6 and 90 < entry["duration"] < 240
        assert topics[0]["start"] == 0.0 and topics[-1]["end"] == entry["duration"]
        for one, other in itertools.pairwise(topics):
            assert one["end"] == other["start"] == other["sentences"][0]["start"]
            assert one["sentences"][-1]["end"] < other["start"]


def test_camera_cuts_keep_away_from_topic_changes_but_slides_follow_them() -> None:
    for entry in plans().values():
        changes = [t["start"] for t in entry["topics"][1:]]
        if entry["style"] == "slides":
            assert len(entry["cuts"]) == len(changes)
            assert all(abs(c - t) < 1.0 for c, t in zip(entry["cuts"], changes))
        elif entry["style"] == "camera":
            cards = [s["start"] for s in entry["shots"] if s["kind"] == "card"]
            camera = [
                c
                for c in entry["cuts"]
                if c not in cards and not any(0 < c - a <= lib.TITLE_CARD + 0.01 for a in cards)
            ]
            assert camera and all(min(abs(c - t) for t in changes) >= lib.APART - 1.0 for c in camera)
        else:
            assert entry["cuts"] == []


def test_the_splits_share_no_sentence() -> None:
    said: dict[str, set[str]] = {"tune": set(), "report": set()}
    for lecture in lib.LECTURES:
        said[lecture.split].update(s for t in lecture.topics for s in t.sentences())
    assert said["tune"] and said["report"] and not said["tune"] & said["report"]
