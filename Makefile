# The handful of commands a newcomer needs; see README.md.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The security tools (bandit, pip-audit) have a venv of their own, outside the project's resolve.
AUDIT_VENV := .venv-audit
AUDIT_STAMP := $(AUDIT_VENV)/.installed-stamp

.PHONY: setup run test test-conversations test-fast train validate bench security lint

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/find-python
	@python=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		rm -rf $(VENV) && $$python -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.3.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,lint]"
	@touch $(STAMP)

train: setup
	$(BIN)/govbot train

run: setup train
	$(BIN)/govbot up

test: setup
	$(BIN)/pytest

# Only the whole-conversation suite (tests/conversations/), part of `make test` too.
test-conversations: setup
	$(BIN)/pytest -m conversations

test-fast: setup
	$(BIN)/pytest -m "not slow"

# ruff (pyflakes, pycodestyle, import order, bugbear) on everything; mypy on the product packages.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# Rasa's own validation, then ours (govbot/data_check.py): entity spans on jieba tokens, no text
# under two intents, generated catalog files current, every response used.
validate: setup
	$(BIN)/rasa data validate --config config.yml --domain bot/domain --data nlu_data bot/data --fail-on-warnings
	$(BIN)/govbot nlu check

bench: setup train
	$(BIN)/python benchmarks/guide_search.py
	$(BIN)/python benchmarks/nlu_eval.py
	$(BIN)/python benchmarks/turn_latency.py
	$(BIN)/python benchmarks/conversations.py
	$(BIN)/python benchmarks/wechat_load.py --model models/govbot.tar.gz
	$(BIN)/python benchmarks/handoff.py

security: setup $(AUDIT_STAMP)
	security/run

$(AUDIT_STAMP): security/requirements.txt scripts/find-python
	@python=$$(scripts/find-python) || exit 1; rm -rf $(AUDIT_VENV) && $$python -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.3.1"
	$(AUDIT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r security/requirements.txt
	@touch $(AUDIT_STAMP)
