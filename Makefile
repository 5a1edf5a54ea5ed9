# tron-staking — developer entry points. `make dev` runs the whole product on embedded
# defaults; `make test` is what CI runs (through .ci/run).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: dev test tronweb test-deep mutate lint typecheck layers deploy-check unit bench bench-quick \
	bench-devnet clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The whole product on this machine: tron-devnet, SecantusDB and the service on :8096, with
# data, secrets and logs under .dev/ (a second run resumes). DEV_FLAGS=--fast for 0.5 s blocks.
DEV_FLAGS ?=
dev: $(STAMP)
	$(BIN)/tron-staking dev $(DEV_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

# TronWeb (tests/clients) from npm at the locked version, installed once per lock file into a
# cache folder outside the tree; the test finds it through TRONWEB_PREFIX.
TRONWEB_DIR    := tests/clients/tronweb
TRONWEB_PREFIX ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tron-staking/tronweb-$(shell sha256sum $(TRONWEB_DIR)/package-lock.json | cut -c1-16)

tronweb:
	@test -f $(TRONWEB_PREFIX)/node_modules/tronweb/package.json || { \
		command -v npm >/dev/null || { echo "npm is missing: install Node.js and npm" >&2; exit 1; }; \
		mkdir -p $(TRONWEB_PREFIX) && \
		cp $(TRONWEB_DIR)/package.json $(TRONWEB_DIR)/package-lock.json $(TRONWEB_PREFIX)/ && \
		npm ci --prefix $(TRONWEB_PREFIX) --no-audit --no-fund --no-update-notifier; }

# The deploy files checked with their ecosystem's tools (tests/deploy runs these and more):
# hadolint, the compose model, kubernetes-validate --strict, promtool on the alert rules.
DEPLOY_MANIFESTS := $(filter-out manifests/base/kustomization.yaml,$(wildcard manifests/base/*.yaml))

deploy-check: $(STAMP)
	$(BIN)/hadolint Dockerfile.trx-staking
	$(BIN)/docker-compose -f docker-compose.support.yml --profile dev config --quiet
	$(BIN)/kubernetes-validate --strict --quiet $(DEPLOY_MANIFESTS)
	@if command -v promtool >/dev/null; then \
		promtool check rules manifests/rules/staking.rules.yml && \
		cd manifests/rules && promtool test rules *.test.yml; \
	elif [ "$$CI" = true ]; then \
		echo "promtool is missing: apt-get install prometheus" >&2; exit 1; \
	else \
		echo "deploy-check: promtool is not installed, alert rules not checked (apt-get install prometheus)" >&2; \
	fi

test: lint typecheck layers tronweb deploy-check
	TRONWEB_PREFIX=$(TRONWEB_PREFIX) $(BIN)/python -m pytest
	$(MAKE) bench-quick

# The planner's property tests randomised, with 20x the examples of `make test`.
test-deep: $(STAMP)
	$(BIN)/python -m pytest tests/unit/controller/test_planner_properties.py \
		--hypothesis-profile=planner-deep --timeout=0 -p no:cacheprovider

# Mutation testing of the planner, the state machines and domain/votes.py ([tool.mutmut]);
# lists the surviving mutants at the end (`mutmut show <name>` shows one).
mutate: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

# Benchmarks (bench/README.md): every benchmark in full, then bench/results/REPORT.md and its
# plots; a benchmark that finds a correctness failure makes the target fail after the report.
BENCHMARKS       := convergence fleet scale throughput chaos
BENCH_QUICK_OUT  := bench/results/quick

bench: $(STAMP)
	@status=0; for name in $(BENCHMARKS); do \
		echo "== bench.$$name (load average $$(cut -d' ' -f1-3 /proc/loadavg))"; \
		started=$$(date +%s); $(BIN)/python -m bench.$$name || status=1; \
		echo "== bench.$$name took $$(( $$(date +%s) - started )) s"; \
	done; $(BIN)/python -m bench.report || status=1; exit $$status

# The reduced run that CI makes (the end of `make test`): fails on correctness only (a duplicate
# transaction, a position that does not converge, a failed request), never on speed. The quick
# runs mostly wait for blocks, so they run in three lanes at once (each module's output is
# printed when it ends, with its exit status and seconds); the check reads every result.
BENCH_QUICK_LANES := chaos convergence,throughput fleet,scale

bench-quick: $(STAMP)
	@rm -rf $(BENCH_QUICK_OUT); mkdir -p $(BENCH_QUICK_OUT); \
	lane() { failed=0; for name in $$(echo $$1 | tr , ' '); do \
		started=$$(date +%s); log=$(BENCH_QUICK_OUT)/$$name.log; \
		if $(BIN)/python -m bench.$$name --quick --out $(BENCH_QUICK_OUT) >$$log 2>&1; \
		then code=0; else code=$$?; failed=1; fi; \
		echo "== bench.$$name --quick: exit $$code in $$(( $$(date +%s) - started )) s"; \
		cat $$log; \
	done; return $$failed; }; \
	pids=""; for lane in $(BENCH_QUICK_LANES); do lane $$lane & pids="$$pids $$!"; done; \
	status=0; for pid in $$pids; do wait $$pid || status=1; done; \
	$(BIN)/python -m bench.report --check --results $(BENCH_QUICK_OUT) || status=1; \
	exit $$status

# Throughput of tron-devnet alone (bench/devnet_bench.py).
bench-devnet: $(STAMP)
	$(BIN)/python -m bench.devnet_bench

clean:
	rm -rf $(VENV) mutants .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
