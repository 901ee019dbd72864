# The two commands: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_CACHE_DIRECTORY := var/rasa-cache

VENV := .venv
RASA_VENV := .venv-rasa
FAQ := $(wildcard knowledge/faq/*.yml)
KNOWLEDGE_SRC := $(wildcard knowledge/*.py)

.PHONY: run test install model index lint clean bench-nlu bench bench-cluster bench-fuzz cluster cluster-down cluster-status cluster-rollout

run: install index
	@scripts/run.sh "$$(scripts/rasa-model.sh)"

# Several replicas on one machine behind HAProxy, supervised, on PostgreSQL and Redis (docs/cluster.md):
# make cluster [CLUSTER_APPS=2 CLUSTER_RASAS=2 CLUSTER_PORT=8080 CLUSTER_DATABASE_URL=… CLUSTER_REDIS_URL=…]
cluster: install index
	@scripts/cluster.sh up "$$(scripts/rasa-model.sh)"

cluster-down:
	@scripts/cluster.sh down

cluster-status:
	@scripts/cluster.sh status

# The model trained from the current bot/ (scripts/rasa-model.sh) to every Rasa replica, one at a time.
cluster-rollout: install
	@scripts/cluster.sh rollout "$$(scripts/rasa-model.sh)"

test: install index lint
	@mkdir -p var/log && scripts/ensure-chromium.sh
	@scripts/rasa-tests.sh "$$(scripts/rasa-model.sh)"
	$(VENV)/bin/python -m pytest

install: $(VENV)/.installed $(RASA_VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(VENV)/bin/python || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	@# The CPU build of torch first, so that sentence-transformers never pulls a CUDA build.
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

$(RASA_VENV)/.installed: requirements-rasa.txt
	test -x $(RASA_VENV)/bin/python || "$$(scripts/find-python310.sh)" -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade "pip<25"
	$(RASA_VENV)/bin/pip install --quiet -r requirements-rasa.txt
	touch $@

model: install
	@scripts/rasa-model.sh

index: var/index/manifest.json

# Rebuilt when the FAQ, the code or the adapted model (`python -m knowledge adapt`) changes.
var/index/manifest.json: $(VENV)/.installed $(FAQ) $(KNOWLEDGE_SRC) $(wildcard var/adapted-model/adaptation.json)
	$(VENV)/bin/python -m knowledge build

# The project's Rasa NLU pipeline (config.yml) on a labelled data set, measured like `eval-intents`:
# make bench-nlu DATA=train.csv [VAL=val.csv] [TEST=test.csv] [EPOCHS=n]   (TEST defaults to DATA: in-sample)
bench-nlu: install
	@test -n "$(DATA)" || { echo "usage: make bench-nlu DATA=train-file [VAL=…] [TEST=…] [EPOCHS=…]" >&2; exit 2; }
	@mkdir -p var
	$(VENV)/bin/python -m bench.nlu --train $(DATA) --test $(or $(TEST),$(DATA)) $(if $(VAL),--val $(VAL)) $(if $(EPOCHS),--epochs $(EPOCHS)) --json var/bench-nlu.json

# Retrieval, turns under load, start-up, what customers get end to end (bench.e2e) and what its routing
# costs a turn (bench.routing_cost); then docs/benchmarks.md from bench/results/*.json.
# Every benchmark runs even when one fails (the page says "not run" for it); the exit status tells.
# Retrieval runs on one thread as the app does; at 100k entries it embeds stand-in phrasings (one per
# template) rather than 200k real ones (~2 h here), and keeps phrasing vectors in var/ between runs.
BENCH_RETRIEVAL := --threads 1 --proxy-vectors-from 100000 --vector-cache var/bench-vectors
bench: install index
	@status=0; \
	$(VENV)/bin/python -m bench.retrieval $(BENCH_RETRIEVAL) || { echo "bench.retrieval failed" >&2; status=1; }; \
	for benchmark in turns startup e2e routing_cost; do \
	  $(VENV)/bin/python -m bench.$$benchmark || { echo "bench.$$benchmark failed" >&2; status=1; }; \
	done; \
	$(VENV)/bin/python -m bench.report || status=1; \
	exit $$status

# Turns through make cluster's replicas (1×1, 2×1, 2×2) beside the single process, same load, one run
# (~15 minutes; needs HAProxy, PostgreSQL and Redis as make cluster does). It prints its section of
# docs/benchmarks.md; `python -m bench.report` writes the page from every results file there is.
bench-cluster: install index model
	$(VENV)/bin/python -m bench.cluster_turns --rounds 4 --duration 30
	$(VENV)/bin/python -m bench.cluster_turns --markdown

# The JSON API fuzzed against its own OpenAPI schema for longer than `make test` does (15 examples
# per operation there): make bench-fuzz [EXAMPLES=n]
bench-fuzz: install index
	FUZZ_EXAMPLES=$(or $(EXAMPLES),300) $(VENV)/bin/python -m pytest tests/api/test_fuzzing.py -q -s -p no:cacheprovider

# Lint and types gate `make test` (mypy is strict for every package, bench/ included: pyproject.toml).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf var models .pytest_cache .mypy_cache
