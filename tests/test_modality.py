"""One vocabulary: the names users already type keep working, and `sound` is `audio`."""

from __future__ import annotations

import json

import pytest

from indexer.types import Modality, Space, UnknownModality, known_modalities, model_role
from search.types import ModelRecord
from vidsearch.settings import Settings


def test_names_parse_whatever_their_case_and_sound_is_audio() -> None:
    assert Modality.parse(["Speech", " ocr ", "sound", "audio"]) == (Modality.SPEECH, Modality.OCR, Modality.AUDIO)
    assert Modality.AUDIO == "audio" and json.dumps({Modality.OCR: [Modality.VISUAL]}) == '{"ocr": ["visual"]}'
    with pytest.raises(UnknownModality, match="unknown modality text, colour; choose from visual, speech, ocr, audio"):
        Modality.parse(["text", "speech", "colour"])


def test_settings_take_the_old_names_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSEARCH_MODALITIES", '["speech", "sound"]')
    assert Settings().modalities == (Modality.SPEECH, Modality.AUDIO)
    assert Settings().search_params().weights[Modality.AUDIO] == Settings().weight_audio


def test_what_an_index_stored_reads_back_typed() -> None:
    assert model_role("text") is Space.SENTENCE and model_role("visual") is Modality.VISUAL
    assert known_modalities(["visual", "hologram", "audio"]) == (Modality.VISUAL, Modality.AUDIO)
    record = ModelRecord(model_role("text"), "all-MiniLM-L6-v2", 384, True)
    assert record.modality == "text" and record.to_json()["modality"] == "text"
    assert Modality.VISUAL.space is Space.CLIP and {m.space for m in Modality} == set(Space)


def test_picture_and_sound_models_share_the_cores_they_run_side_by_side_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda _: {0, 1, 2, 3})
    assert Settings(modalities=("speech", "ocr")).cpu_threads() == 2
    assert Settings(modalities=("speech", "audio")).cpu_threads() == 4
    assert Settings(modalities=("visual",)).cpu_threads() == 4
    assert Settings(modalities=("ocr", "audio"), threads=3).cpu_threads() == 3
