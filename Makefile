# vidsearch: `make demo` sets everything up and searches the sample library; `make test` runs the checks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
INDEX  := data/index

.PHONY: install browser speech voices demo test lint bench bench-gpu eval lectures serve ui clean

# torch and torchvision must come from PyPI together; uv resolves them there (pip on these
# machines may prefer a local CPU-only torch wheel that breaks torchvision). Byte-compiled at
# install: without .pyc files every `vidsearch search` compiles its libraries first (~0.9 s).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode -e '.[test,models,ray]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# The sample library and the speech tests speak with Debian's flite; install it where we may (root + apt).
speech:
	@command -v flite >/dev/null || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -q --no-install-recommends flite >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends flite >/dev/null 2>&1; }; }; } || \
	echo "make: flite not installed; the samples will have tones instead of speech, and the speech tests skip"

# One search process for all the queries: the models load once (each process loads them anew).
demo: install speech
	$(BIN)/python scripts/make_samples.py --out data/library
	$(BIN)/vidsearch index data/library --index $(INDEX)
	$(BIN)/vidsearch stats --index $(INDEX)
	@echo; $(BIN)/vidsearch search --index $(INDEX) -k 3 "welcome to the harbour" "someone slicing bread" \
		"a lecture about the planets" "a red car at night" "una macchina rossa di notte" "a recipe for chocolate cake" || true

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The page's end-to-end test drives Debian's chromium; install it where we may (root + apt), else it skips.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1; } || \
	echo "make: chromium not installed; the browser test will skip"

# pytest exits 5 when it collects no test: that means the suite is broken, so it fails here too.
test: lint browser speech
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

# The benchmark may borrow the test YAMNet beside the repo (the product itself never reads ../shared).
YAMNET := $(wildcard ../shared/models/yamnet/yamnet.tflite)
bench: install
	$(BIN)/python benchmarks/bench_index.py $(if $(YAMNET),--audio-model $(YAMNET))
	$(BIN)/python benchmarks/bench_vectors.py
	@if [ -f $(INDEX)/index.db ]; then $(BIN)/python benchmarks/bench_api.py --index $(INDEX); \
	else echo "bench_api: run make demo first (it builds $(INDEX))"; fi

# The GPU figure (benchmarks/gpu.sh installs the GPU builds of onnxruntime and faiss itself); ARGS go to bench_gpu.py.
bench-gpu:
	VENV=$(VENV) bash benchmarks/gpu.sh $(ARGS)

serve: install
	$(BIN)/vidsearch serve --index $(INDEX)

ui: install
	$(BIN)/vidsearch ui --index $(INDEX)

# The evaluation library also speaks Italian, Russian and Catalan with Debian's festival and draws Chinese with a
# CJK font; install them where we may (root + apt). Without them it is made without those videos and their queries.
VOICES := festival festvox-italp16k festvox-ru festvox-ca-ona-hts fonts-wqy-zenhei
voices:
	@missing=""; for p in $(VOICES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1; }; \
	  missing=""; for p in $(VOICES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "make: not installed:$$missing (as root: apt-get install$$missing)."; \
	  echo "make: the evaluation library will lack the Italian, Russian, Catalan or Chinese videos (and queries) these make;"; \
	  echo "make: scripts/make_eval_library.py says which. Figures are then not comparable with a full library's."; \
	fi

# The evaluation may borrow the test YAMNet beside the repo too (sound search is off without it).
EVAL := data/eval
eval: install speech voices
	$(BIN)/python scripts/make_eval_library.py --out $(EVAL)/calibration --split calibration
	$(BIN)/python scripts/make_eval_library.py --out $(EVAL)/test --split test
	for split in calibration test; do \
		$(if $(YAMNET),VIDSEARCH_AUDIO_MODEL=$(YAMNET)) $(BIN)/vidsearch index $(EVAL)/$$split --index data/eval-index/$$split || exit 1; \
	done
	$(BIN)/python benchmarks/calibrate.py $(EVAL)/calibration/queries.jsonl --index data/eval-index/calibration
	$(BIN)/vidsearch eval $(EVAL)/test/queries.jsonl --index data/eval-index/test --compare

# Chapters and summaries on talks of several topics (slides, camera cuts that do not follow the topics, a podcast).
LECTURES := data/lectures
lectures: install speech
	$(BIN)/python scripts/make_lectures.py --out $(LECTURES)
	$(if $(YAMNET),VIDSEARCH_AUDIO_MODEL=$(YAMNET)) $(BIN)/vidsearch index $(LECTURES) --index data/lectures-index
	$(BIN)/python benchmarks/bench_chapters.py --lectures $(LECTURES) --lectures-index data/lectures-index

clean:
	rm -rf $(VENV) $(INDEX) data/library data/eval data/eval-index data/lectures data/lectures-index \
		.pytest_cache .mypy_cache .ruff_cache
