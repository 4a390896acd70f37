# kyso — the two set-up commands on a fresh Debian 12 machine:
#   make run    install what is missing, build, serve on http://127.0.0.1:8080
#   make test   install what is missing, build, run every check and test
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PYTHON      := $(VENV)/bin/python
LISTEN      ?= 127.0.0.1:8080
DATA        ?= ./data
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: the C libraries kyso links, and the independent judges the tests call.
DEB_PACKAGES := build-essential pkg-config clang libclang-dev libssl-dev libsqlite3-dev \
	liblcms2-dev libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-vie \
	tesseract-ocr-eng softhsm2 opensc poppler-utils qpdf openssl fonts-liberation2 \
	fonts-noto-core python3-venv ghostscript chromium

.PHONY: help deps debian-deps python-deps browser-deps build release run test lint check-format clean

help:
	@echo "make run   - install dependencies, build and serve on http://$(LISTEN)"
	@echo "make test  - install dependencies, build and run all checks and tests"

deps: debian-deps python-deps

# Installs only the packages that are missing, so a prepared machine pays nothing.
debian-deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v cargo >/dev/null || { echo "cargo not found: install the Rust toolchain (rustup)"; exit 1; }

python-deps: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	@[ -x $(PYTHON) ] || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# The browser tests' driver, playwright-core as pinned in tests/browser/package-lock.json (it
# drives Debian's chromium; no browser is downloaded), and Node.js from Debian if there is none.
browser-deps:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "installing Debian packages: nodejs npm"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm; }
	@[ -d tests/browser/node_modules/playwright-core ] || \
		npm ci --prefix tests/browser --no-audit --no-fund

build: debian-deps
	cargo build --locked

release: debian-deps
	cargo build --release --locked

run: deps release
	./target/release/kyso serve --listen $(LISTEN) --data $(DATA)

check-format:
	cargo fmt --check

lint: debian-deps
	cargo clippy --locked --all-targets -- -D warnings

# Tesseract runs one thread per engine, pages in parallel (OpenMP reads this at load time).
test: export OMP_THREAD_LIMIT := 1
test: deps browser-deps check-format lint
	cargo test --locked
	$(PYTHON) -m pytest -q tests/py
	KYSO_BROWSER_ARTIFACTS=target/browser-artifacts node --test tests/browser/pages.test.mjs

clean:
	cargo clean
	rm -rf $(VENV)
