"""Where OCR runs: RapidOCR's CUDA options follow the device setting and onnxruntime's providers.
No model is loaded and no GPU is needed: the providers and the GPU count are stood in for."""

from __future__ import annotations

import logging

import onnxruntime
import pytest

from indexer.encoders import ocr
from indexer.encoders.ocr import RapidOcr
from vidsearch import models
from vidsearch.settings import Settings

CUDA = {"det_use_cuda": True, "cls_use_cuda": True, "rec_use_cuda": True}
CPU_OPTIONS = {"det_limit_side_len": 480, "det_limit_type": "min", "text_score": 0.0}


def machine(monkeypatch: pytest.MonkeyPatch, providers: list[str], gpus: int) -> None:
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: [*providers, "CPUExecutionProvider"])
    monkeypatch.setattr(onnxruntime, "preload_dlls", lambda *args, **kwargs: None, raising=False)
    monkeypatch.setattr(ocr, "_cuda_devices", lambda: gpus)


def test_cpu_keeps_rapidocrs_own_options_even_beside_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    machine(monkeypatch, ["CUDAExecutionProvider"], gpus=1)
    assert RapidOcr(device="cpu")._options() == RapidOcr()._options() == CPU_OPTIONS


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "auto"])
def test_a_gpu_with_the_cuda_provider_runs_every_session_on_it(monkeypatch: pytest.MonkeyPatch, device: str) -> None:
    machine(monkeypatch, ["CUDAExecutionProvider"], gpus=1)
    assert RapidOcr(device=device)._options() == {**CPU_OPTIONS, **CUDA}


def test_cuda_without_the_cuda_provider_reads_on_the_cpu_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    machine(monkeypatch, [], gpus=1)
    with caplog.at_level(logging.WARNING, logger=ocr.__name__):
        assert RapidOcr(device="cuda")._options() == CPU_OPTIONS
    assert "OCR runs on the CPU: onnxruntime has no CUDAExecutionProvider" in caplog.text


@pytest.mark.parametrize(("providers", "gpus"), [([], 1), (["CUDAExecutionProvider"], 0)])
def test_auto_stays_on_the_cpu_quietly_without_provider_or_gpu(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, providers: list[str], gpus: int
) -> None:
    machine(monkeypatch, providers, gpus)
    with caplog.at_level(logging.WARNING, logger=ocr.__name__):
        assert RapidOcr(device="auto")._options() == CPU_OPTIONS
    assert not caplog.records


def test_the_settings_device_reaches_the_ocr_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RapidOcr, "load", lambda self: None)
    reader, _ = models._ocr(Settings(device="cuda:1"))
    assert isinstance(reader, RapidOcr)
    assert reader.device == "cuda:1"
