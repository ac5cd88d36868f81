#!/usr/bin/env bash
# Run the whole suite: lint, then every test. pytest's exit 5 (no tests collected)
# is a failure here: a suite that runs nothing must not pass.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check . || exit 1
.venv/bin/ruff format --check . || exit 1
.venv/bin/pytest "$@"
status=$?
if [ $status -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
exit $status
