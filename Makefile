# tron-staking — developer entry points. `make dev` runs the whole product on embedded
# defaults; `make test` is what CI runs (through .ci/run).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: dev test test-deep mutate lint typecheck layers unit bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The staking service (API + controller) joins `make dev` with the controller and API issues;
# until then `make dev` runs the embedded chain, tron-devnet, on http://127.0.0.1:8090.
dev: $(STAMP)
	@echo "make dev: the staking service is not part of this build yet; starting tron-devnet only." >&2
	$(BIN)/tron-devnet --host 127.0.0.1 --port 8090

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

test: lint typecheck layers
	$(BIN)/python -m pytest

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

bench: $(STAMP)
	$(BIN)/python -m bench.devnet_bench

clean:
	rm -rf $(VENV) mutants .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
