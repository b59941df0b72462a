"""Sound-event detection: the window merge on synthetic scores, YAMNet on synthesised audio, and
where the model file comes from (configured, cached, downloaded, or a clear ModelUnavailable)."""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.encoders import sound
from indexer.encoders.sound import SAMPLE_RATE, SoundSpec, YamNet, merge_events
from indexer.errors import ModelUnavailable
from tests.conftest import ROOT

LABELS = ("Speech", "Dial tone", "Silence", "Beep, bleep")


def shared_yamnet() -> Path:
    """../shared/models/yamnet/yamnet.tflite (or under $VIDSEARCH_SHARED); skip when absent."""
    base = Path(os.environ.get("VIDSEARCH_SHARED", ROOT.parent / "shared"))
    model = base / "models" / "yamnet" / "yamnet.tflite"
    if not model.is_file() or not (model.parent / "yamnet_class_map.csv").is_file():
        pytest.skip(f"shared YAMNet model not found at {model} (with yamnet_class_map.csv beside it)")
    return model


@pytest.fixture(scope="module")
def yamnet() -> YamNet:
    return YamNet(SoundSpec(model=shared_yamnet(), offline=True))


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "vidsearch" / "yamnet"


def tone(seconds: float, *freqs: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * sum(np.sin(2 * np.pi * f * t) for f in freqs)).astype(np.float32)


def beeps(seconds: float, freq: float = 1000.0, on: float = 0.2, off: float = 0.3) -> np.ndarray:
    wave = tone(seconds, freq, amplitude=0.5)
    t = np.arange(wave.size) / SAMPLE_RATE
    return np.where(t % (on + off) < on, wave, 0.0).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.float32)


# --- merging window scores into spans (no model) ---


def test_consecutive_windows_merge_into_one_span_with_the_best_score() -> None:
    scores = np.zeros((6, len(LABELS)), np.float32)
    scores[1:4, 1] = [0.5, 0.9, 0.4]  # Dial tone over windows 1..3
    scores[5, 3] = 0.6  # a beep in the last window
    spans = merge_events(scores, LABELS, hop=0.5, duration=3.2, threshold=0.3, window=1.0)
    assert [(s.text, s.start, s.end) for s in spans] == [("Dial tone", 0.5, 2.5), ("Beep, bleep", 2.5, 3.2)]
    assert spans[0].confidence == pytest.approx(0.9)
    assert {s.modality for s in spans} == {"audio"}


def test_a_gap_below_threshold_splits_a_label_and_silence_is_never_reported() -> None:
    scores = np.zeros((6, len(LABELS)), np.float32)
    scores[:, 2] = 0.99  # Silence everywhere
    scores[[0, 1, 4], 0] = [0.7, 0.3, 0.8]  # Speech, two windows below 0.3 in between
    scores[[2, 3], 0] = 0.29
    spans = merge_events(scores, LABELS, hop=0.48, duration=10.0, threshold=0.3, window=0.975)
    assert [(s.text, s.start, s.end) for s in spans] == [
        ("Speech", 0.0, pytest.approx(0.48 + 0.975)),
        ("Speech", pytest.approx(1.92), pytest.approx(1.92 + 0.975)),
    ]


def test_a_single_window_dip_does_not_split_a_sound() -> None:
    scores = np.zeros((3, len(LABELS)), np.float32)
    scores[[0, 2], 1] = 0.9
    spans = merge_events(scores, LABELS, hop=0.48, duration=10.0, threshold=0.3, window=0.975)
    assert [(s.text, s.start, s.end) for s in spans] == [("Dial tone", 0.0, pytest.approx(0.96 + 0.975))]


def test_spans_sort_by_start_then_label() -> None:
    scores = np.full((2, len(LABELS)), 0.5, np.float32)
    spans = merge_events(scores, LABELS, hop=0.48, duration=1.455, threshold=0.3)
    assert [s.text for s in spans] == ["Beep, bleep", "Dial tone", "Speech"]
    assert spans[0].end == pytest.approx(1.455)


def test_no_scores_above_threshold_give_no_spans() -> None:
    assert merge_events(np.full((3, 4), 0.1), LABELS, hop=0.48, duration=2.0, threshold=0.3) == []
    assert merge_events(np.zeros((0, 4)), LABELS, hop=0.48, duration=0.0, threshold=0.3) == []


def test_spec_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        SoundSpec(threshold=0.0)
    with pytest.raises(ValueError):
        SoundSpec(hop=0.0)


# --- the real model (shared test material) ---


def test_dial_tone_and_beeps_are_found_and_silence_is_quiet(yamnet: YamNet) -> None:
    audio = np.concatenate([silence(3), tone(3, 350, 440), silence(3), beeps(2)])
    spans = yamnet.detect(audio)
    dial = [s for s in spans if s.text == "Dial tone"]
    beep = [s for s in spans if s.text == "Beep, bleep"]
    assert len(dial) == 1 and 2.0 <= dial[0].start <= 3.2 and 5.8 <= dial[0].end <= 7.0, spans
    assert dial[0].confidence > 0.5
    assert len(beep) == 1 and 8.0 <= beep[0].start <= 9.2 and beep[0].end == pytest.approx(11.0), spans
    for quiet in (1.5, 7.5):  # the middle of each silence: more than a window away from any sound
        assert not [s for s in spans if s.start <= quiet < s.end], spans


def test_scores_cover_the_audio_in_windows_every_hop(yamnet: YamNet) -> None:
    assert yamnet.scores(silence(0.1)).shape == (1, 521)  # shorter than a window: padded once
    assert yamnet.scores(silence(0.975)).shape == (1, 521)
    assert yamnet.scores(silence(1.0)).shape == (2, 521)  # a partial last window is padded
    assert yamnet.detect(np.zeros(0, np.float32)) == []


def test_name_and_labels(yamnet: YamNet) -> None:
    digest = sound.content_hash(shared_yamnet())[:16]
    assert yamnet.name == f"yamnet:sha256-{digest}"
    assert len(yamnet.labels) == 521
    assert yamnet.labels[0] == "Speech" and "Dial tone" in yamnet.labels


def test_the_cached_model_is_used_without_network(empty_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = shared_yamnet()
    empty_cache.mkdir(parents=True)
    for name in ("yamnet.tflite", "yamnet_class_map.csv"):
        shutil.copyfile(model.parent / name, empty_cache / name)
    monkeypatch.setattr(sound, "reachable", lambda host, timeout=3.0: pytest.fail("probed the network"))
    found = YamNet(SoundSpec(offline=False))
    assert found.name == f"yamnet:sha256-{sound.content_hash(model)[:16]}"


def test_download_lands_atomically_after_its_digest_is_checked(
    empty_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The download path, with the network replaced by the shared files and their digests."""
    model = shared_yamnet()
    served = {sound.MODEL_URL: model, sound.CLASS_MAP_URL: model.parent / "yamnet_class_map.csv"}
    monkeypatch.setattr(sound, "MODEL_SHA256", sound.content_hash(model))
    monkeypatch.setattr(sound, "reachable", lambda host, timeout=3.0: True)
    monkeypatch.setattr(sound.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(served[url].read_bytes()))
    assert sound.resolve(SoundSpec()) == empty_cache / "yamnet.tflite"
    assert sorted(p.name for p in empty_cache.iterdir()) == ["yamnet.tflite", "yamnet_class_map.csv"]


def test_a_download_with_the_wrong_digest_leaves_nothing(empty_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sound, "reachable", lambda host, timeout=3.0: True)
    monkeypatch.setattr(sound.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"<html>not a model</html>"))
    with pytest.raises(ModelUnavailable, match="sha256"):
        sound.resolve(SoundSpec())
    assert list(empty_cache.iterdir()) == []


# --- no model to be had ---


def test_offline_with_an_empty_cache_fails_fast_and_says_what_to_do(empty_cache: Path) -> None:
    began = time.monotonic()
    with pytest.raises(ModelUnavailable) as caught:
        YamNet(SoundSpec(offline=True)).detect(silence(1))
    assert time.monotonic() - began < 5
    assert caught.value.modality == "audio" and caught.value.model == "yamnet"
    assert "VIDSEARCH_AUDIO_MODEL" in caught.value.reason and "online" in caught.value.reason


def test_unreachable_server_fails_fast_and_says_what_to_do(empty_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sound, "reachable", lambda host, timeout=3.0: False)
    began = time.monotonic()
    with pytest.raises(ModelUnavailable, match=r"cannot be reached.*VIDSEARCH_AUDIO_MODEL"):
        _ = YamNet(SoundSpec(offline=False)).name
    assert time.monotonic() - began < 5


def test_a_configured_file_that_is_missing_or_lacks_its_class_map(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="not found"):
        sound.resolve(SoundSpec(model=tmp_path / "nope.tflite"))
    lone = tmp_path / "yamnet.tflite"
    lone.write_bytes(b"x")
    with pytest.raises(ModelUnavailable, match=r"yamnet_class_map\.csv"):
        sound.resolve(SoundSpec(model=lone))


def test_a_file_that_is_not_a_model_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "yamnet.tflite").write_bytes(b"not a flatbuffer")
    (tmp_path / "yamnet_class_map.csv").write_text("index,mid,display_name\n0,/m/x,Speech\n")
    with pytest.raises(ModelUnavailable):
        _ = YamNet(SoundSpec(model=tmp_path / "yamnet.tflite")).labels
