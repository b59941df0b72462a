"""What the multilingual CLIP costs next to the default: `xlm-roberta-base-ViT-B-32` against `ViT-B-32`.

Both are built at their real sizes with RANDOM weights, offline, through the product's own
loader (`OpenClip`, `random_init=True`): the default from open_clip's built-in config; the
multilingual one from a copy of open_clip's `xlm-roberta-base-ViT-B-32` config whose
`text_cfg.hf_model_name` names a local directory holding xlm-roberta-base's config.json
(`tests.hf_text.XLM_ROBERTA_BASE`: 250002 tokens, 768 wide, 12 layers) and a tiny tokenizer.
Speed does not depend on the weights' values. open_clip pads every query to 77 tokens; the
built-in text tower runs all 77, the Hugging Face one only the query's own length (`_unpadded`),
so its cost depends on the tokenizer's count: it is also timed at `LENGTHS` tokens directly.

Each model is measured in a fresh process (`--one NAME`), on the CPU:
- parameters of the image tower (`model.visual`) and of the text tower (the rest, less the
  logit scale);
- resident memory (VmRSS) after `import torch, open_clip`, and after the model is loaded, and
  the process's peak (VmHWM);
- text encode latency of one query (`OpenClip.texts.encode([query])`, tokenising included),
  median of `--queries` after 3 warm-up calls, on 1 thread and on every core;
- image encode per frame (one 640x360 frame a call, preprocessing included), median of
  `--frames`, on 1 thread and on every core.
Latencies are wall ms; on 1 thread also the process's CPU ms (`wall/cpu`), which other work on
the machine does not inflate.

`xlm-roberta-large-ViT-H-14` is counted only (built on the meta device: no memory, no time).
The download a user would fetch is the CLIP checkpoint (the LAION files are fp32 state dicts:
about 4 bytes a parameter) plus, for a Hugging Face text tower, its config and tokenizer
(`HF_TEXT_FILES`, about 14 MB for xlm-roberta). Index vectors are `embed_dim` wide.

Usage: python benchmarks/bench_multilingual.py [--queries 50] [--frames 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hf_text import XLM_ROBERTA_BASE, XLM_ROBERTA_LARGE, write_tokenizer, write_xlm_roberta  # noqa: E402

MODELS = ("ViT-B-32", "xlm-roberta-base-ViT-B-32")
LENGTHS = (8, 16, 32, 77)
"""Query lengths in tokens at which the Hugging Face text tower is timed (it runs a query's own
length; the tiny tokenizer here splits words unlike xlm-roberta's, so the product path's figure
is for its own count)."""
QUERY = "un'auto rossa parcheggiata sotto la pioggia di notte"
HF_TEXT_MB = 14.2
"""xlm-roberta-base's tokenizer.json (9.1 MB) + sentencepiece.bpe.model (5.1 MB) + config.json."""


def memory() -> dict[str, float]:
    """VmRSS and VmHWM of this process, MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def median_ms(call: Callable[[], object], n: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `call` (after 3 warm-up calls). The CPU time is this
    process's, all threads together: on one thread it is the work, whatever else the machine runs."""
    for _ in range(3):
        call()
    wall, cpu = [], []
    for _ in range(n):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def local_config(name: str, folder: Path, sizes: dict[str, Any]) -> Path:
    """A copy of open_clip's config `name` whose HF text tower is the config `sizes` in `folder`,
    with a tiny tokenizer."""
    import open_clip

    cfg = open_clip.get_model_config(name)
    tower = folder / cfg["text_cfg"]["hf_model_name"]
    write_tokenizer(tower)
    write_xlm_roberta(tower, **sizes)
    cfg["text_cfg"].update(hf_model_name=str(tower), hf_tokenizer_name=str(tower))
    path = folder / f"{name}.json"
    path.write_text(json.dumps(cfg))
    return path


def hf_text(model: Any) -> bool:
    return hasattr(getattr(model, "text", None), "config")


def counts(model: Any) -> dict[str, int]:
    visual = sum(p.numel() for p in model.visual.parameters())
    total = sum(p.numel() for name, p in model.named_parameters() if not name.startswith("logit_"))
    return {"image_params": visual, "text_params": total - visual}


def one(name: str, queries: int, frames: int) -> dict[str, Any]:
    """Everything measured of model `name`, in this process."""
    import open_clip  # noqa: F401
    import torch

    from indexer.encoders.clip import ClipSpec, OpenClip

    result: dict[str, Any] = {"model": name, "imported": memory()}
    with tempfile.TemporaryDirectory() as tmp:
        model = name if name == "ViT-B-32" else str(local_config(name, Path(tmp), XLM_ROBERTA_BASE))
        clip = OpenClip(ClipSpec(model=model, random_init=True, device="cpu"))
        began = time.perf_counter()
        loaded = clip.load()[0]
        result["load_s"] = time.perf_counter() - began
        result.update(counts(loaded), dim=clip.dim)
    result["loaded"] = memory()
    model, _, tokenizer, _ = clip.load()
    result["query_tokens"] = (
        int((tokenizer([QUERY]) != tokenizer.tokenizer.pad_token_id).sum()) if hf_text(model) else 77
    )
    if hf_text(model):
        torch.set_num_threads(1)
        for length in LENGTHS:
            ids = torch.full((1, length), 5)
            ids[0, 0], ids[0, -1] = 0, 2
            result[f"text_ms_{length}_tokens"] = median_ms(lambda ids=ids: model.encode_text(ids), queries)
    frame = np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    cores = len(os.sched_getaffinity(0))
    for threads in sorted({1, cores}):
        torch.set_num_threads(threads)
        result[f"text_ms_{threads}"] = median_ms(lambda: clip.texts.encode([QUERY]), queries)
        result[f"image_ms_{threads}"] = median_ms(lambda: clip.images.encode([frame]), frames)
    result["load"] = os.getloadavg()[0]
    result["cores"] = cores
    result["peak"] = memory()
    return result


def meta_counts(name: str, sizes: dict[str, Any]) -> dict[str, int]:
    """Parameter counts of open_clip's `name` at its real sizes, built on the meta device."""
    import open_clip
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        open_clip.add_model_config(local_config(name, Path(tmp), sizes))
        with torch.device("meta"):
            model = open_clip.create_model(name, pretrained=None, pretrained_text=False, device="meta")
    return counts(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=50, help="text encodes timed per thread count")
    parser.add_argument("--frames", type=int, default=20, help="image encodes timed per thread count")
    parser.add_argument("--one", choices=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.queries, args.frames)))
        return

    import open_clip
    import torch
    import transformers

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores; torch {torch.__version__}, ")
    print(f"# open_clip {open_clip.__version__}, transformers {transformers.__version__}; RANDOM weights, CPU fp32")
    rows = []
    for name in MODELS:
        command = [
            sys.executable,
            __file__,
            "--one",
            name,
            "--queries",
            str(args.queries),
            "--frames",
            str(args.frames),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    cores = rows[0]["cores"]
    print(
        f"{'model':28} {'image M':>8} {'text M':>8} {'dim':>4} {'download':>9} {'load s':>6} "
        f"{'RSS MB':>7} {'+load MB':>8} {'peak MB':>7} "
        f"{'text ms 1t':>12} {f'text ms {cores}t':>10} {'img ms 1t':>12} {f'img ms {cores}t':>9} {'loadavg':>7}"
    )
    for r in rows:
        params = r["image_params"] + r["text_params"]
        download = params * 4 / 1e9 + (HF_TEXT_MB / 1000 if "xlm" in r["model"] else 0)
        text_1, image_1 = (f"{r[key][0]:.1f}/{r[key][1]:.1f}" for key in ("text_ms_1", "image_ms_1"))
        print(
            f"{r['model']:28} {r['image_params'] / 1e6:8.1f} {r['text_params'] / 1e6:8.1f} {r['dim']:4d} "
            f"{download:7.2f}GB {r['load_s']:6.1f} {r['loaded']['VmRSS']:7.0f} "
            f"{r['loaded']['VmRSS'] - r['imported']['VmRSS']:8.0f} {r['peak']['VmHWM']:7.0f} "
            f"{text_1:>12} {r[f'text_ms_{cores}'][0]:10.1f} {image_1:>12} {r[f'image_ms_{cores}'][0]:9.1f} "
            f"{r['load']:7.1f}"
        )
    for r in rows:
        print(f"# {r['model']}: the query above is {r['query_tokens']} tokens", end="")
        timed = [f"{n}: {r[f'text_ms_{n}_tokens'][1]:.1f}" for n in LENGTHS if f"text_ms_{n}_tokens" in r]
        print(f"; text tower alone, 1 thread, CPU ms by query tokens: {', '.join(timed)}" if timed else "")
    large = meta_counts("xlm-roberta-large-ViT-H-14", XLM_ROBERTA_LARGE)
    params = large["image_params"] + large["text_params"]
    print(
        f"{'xlm-roberta-large-ViT-H-14':28} {large['image_params'] / 1e6:8.1f} {large['text_params'] / 1e6:8.1f} "
        f"{open_clip.get_model_config('xlm-roberta-large-ViT-H-14')['embed_dim']:4d} "
        f"{params * 4 / 1e9 + HF_TEXT_MB / 1000:7.2f}GB (counted on the meta device, not run)"
    )


if __name__ == "__main__":
    main()
