# Training Neural Networks: two commands on a fresh machine.
#   make lab    set up .venv and open JupyterLab on notebooks/
#   make test   set up .venv and run the unit tests and every notebook (nbval, strict)
# Headless lab: make lab JUPYTER_ARGS="--no-browser --port=8899"

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JUPYTER_ARGS ?=
# Jupyter refuses to run as root (containers, CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
PYTEST_ARGS  ?=

# Outputs are stored and tested with the same settings (MAINTAINING.md, "How the tests work").
export OMP_NUM_THREADS ?= 1
export PYTHONHASHSEED  := 0
# pytest caches its assertion-rewritten modules (the tests, and plugins such as hypothesis) as
# .pyc files; with PYTHONDONTWRITEBYTECODE set it rewrites them in every process, every run.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup browser-deps lab test check-outputs outputs stress lint bench clean student publish-student colab-check site

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The browser test's extras: Debian's Chromium (apt, as root or with sudo) and the pinned
# Playwright client (never Playwright's own browser download). Without them `make test` skips it.
browser-deps: $(STAMP)
	test -x /usr/bin/chromium || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt

# The project's Jupyter configuration (.jupyter/: no news feed, no update check, no PyPI
# queries) comes first on the config path; a user's own config still overrides it.
lab: $(STAMP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(JUPYTER_ARGS)

# Two workers, each notebook (its cells in order, in one kernel) and test file whole on one.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder -rs $(PYTEST_ARGS)

# The notebooks under nbval again, with two threads: no printed number may depend on the thread
# count (CI runs it after make test).
check-outputs: $(STAMP)
	OMP_NUM_THREADS=2 $(BIN)/python -m pytest -n 2 --dist loadfile -rs notebooks $(PYTEST_ARGS)

# NB=notebooks/03_*.ipynb regenerates one notebook only. The kernels load the figure lint
# (tools/figure_lint.py): a cell that shows a figure breaking a rule stops the run, unstored.
NB ?= notebooks/*.ipynb
outputs: $(STAMP)
	IPYTHONDIR=$(CURDIR)/tools/figure_lint_ipython $(BIN)/python -m tools.run_notebooks --write $(NB)

# Execution-stall stress test (issue 15; MAINTAINING.md, "Execution stalls"): many runs in fresh kernels
# with a short cell timeout, under CPU contention. Not part of `make test`. STRESS_ARGS=--runs 200
STRESS_ARGS ?=
stress: $(STAMP)
	$(BIN)/python -m tools.stress_kernel $(STRESS_ARGS)

# Timings and targets (MAINTAINING.md, "Performance"); writes benchmarks/results.json.
bench: $(STAMP)
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

# The student edition in build/student/ (exercises as starters), each notebook run and checked.
student: $(STAMP)
	$(BIN)/python -m tools.exercises --verify

# The same, then committed to the local branch [tool.course] student-branch ("student"), which
# the student edition's Colab badges open once it is pushed: git push origin student.
publish-student: $(STAMP)
	$(BIN)/python -m tools.exercises --verify --publish

# Every notebook in replicas of Colab's runtimes (tools/colab_check.py; cached in ~/.cache/tnn-colab).
colab-check: $(STAMP)
	$(BIN)/python -m tools.colab_check

# The website in build/site/ (tools/site.py; open build/site/index.html). Its build tools are
# installed into .venv on first use, from requirements-site.txt.
SITE_STAMP := $(VENV)/.site-installed
$(SITE_STAMP): $(STAMP) requirements-site.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-site.txt
	touch $(SITE_STAMP)

site: $(SITE_STAMP)
	$(BIN)/python -m tools.site

# The checks of .pre-commit-config.yaml, changing nothing.
lint: $(STAMP)
	$(BIN)/ruff check helpers tests tools notebooks
	$(BIN)/ruff format --check helpers tests tools notebooks
	$(BIN)/python -m tools.run_notebooks --check-metadata notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache
