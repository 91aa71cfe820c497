# scratchenv: `make demo` shows it working on a throwaway root; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
BATS   := $(TOOLS)/node_modules/bats/bin/bats
DEMO   ?= /tmp/scratchenv-demo
# Tests run in parallel: pytest on JOBS workers (pytest-xdist; tests sharing a session fixture
# such as the test Slurm are kept on one worker by their xdist_group), bats on JOBS jobs (GNU
# parallel). JOBS=1 runs them one at a time, in this process.
JOBS   ?= 2
PARALLEL = $(filter-out 1,$(JOBS))
PYTEST ?= $(BIN)/python -m pytest -q $(if $(PARALLEL),-n $(JOBS) --dist loadgroup)
BATS_RUN = $(BATS) $(if $(PARALLEL),--jobs $(JOBS)) shell/tests

.PHONY: install test pytest bats shells slurm modules parallel bench demo verify lint man clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

$(BATS):
	npm install --silent --no-fund --no-audit --prefix $(TOOLS) bats@1.13.0

# Real shells for the round-trip tests (Debian packages, installed when missing). Without
# root, a missing package is named and the tests needing it are skipped (in CI they fail).
shells:
	tools/ensure-debs zsh=zsh fish=fish tcsh=tcsh

# GNU parallel, which `bats --jobs` needs.
parallel:
	tools/ensure-debs parallel=parallel

# A real Slurm for the job tests (tests/helpers/slurm.py runs it on loopback, as root).
slurm:
	tools/ensure-debs slurmctld=slurmctld slurmd=slurmd sbatch=slurm-client munged=munge

# Lmod (Debian package) and Environment Modules for the modulefile tests. Their packages
# conflict, so Environment Modules is unpacked into .tools/ instead of installed.
modules:
	tools/ensure-debs /usr/share/lmod/lmod/libexec/lmod=lmod tclsh=tcl
	tools/unpack-deb environment-modules $(TOOLS)/environment-modules

# Both runners run, whatever the first one found; the target fails if either failed.
test: install shells slurm modules parallel $(BATS)
	@failed=""; \
	$(PYTEST) || failed="$$failed pytest"; \
	$(BATS_RUN) || failed="$$failed bats"; \
	if [ -n "$$failed" ]; then echo "make test: failed:$$failed" >&2; exit 1; fi

pytest: install shells slurm modules
	$(PYTEST)

bats: install shells parallel $(BATS)
	$(BATS_RUN)

bench: install
	$(BIN)/python benchmarks/run.py

# A demo on a throwaway scratch root and home under $(DEMO): nothing of yours is touched.
# It installs scratchenv and its dependencies only (not the test extra) into $(DEMO)/venv,
# with pip's cache off: nothing lands in the checkout or in ~/.cache.
demo:
	rm -rf $(DEMO) && mkdir -m 700 $(DEMO) && mkdir $(DEMO)/scratch $(DEMO)/home
	$(PYTHON) -m venv $(DEMO)/venv
	PIP_NO_CACHE_DIR=1 XDG_CACHE_HOME=$(DEMO)/cache $(DEMO)/venv/bin/python -m pip install -q .
	HOME=$(DEMO)/home SCRATCHENV_ROOT=$(DEMO)/scratch SCRATCHENV_PROJECT=nanochat \
		sh tools/demo.sh $(DEMO)/venv/bin/scratchenv

# The gate before sbatch: this shell's environment and disk against the settings (exit 1 on a
# failure). Use it as `make verify && sbatch job.slurm`.
verify: install
	$(BIN)/scratchenv verify

# The man page, generated from the argparse parser (a test fails when it is out of date).
man: install
	$(BIN)/python tools/manpage.py

lint: install
	$(BIN)/ruff check scratchenv tests benchmarks
	$(BIN)/mypy scratchenv

clean:
	rm -rf $(VENV) $(TOOLS) $(DEMO)
