#!/usr/bin/env bash
# Install the lowest versions pyproject.toml allows (every runtime dependency pinned to
# its floor, ">=X" -> "==X") into a throwaway virtualenv, then run a smoke test with
# them: `pricing --version`, `pricing init`, the whole demo (a real Scrapy crawl of the
# bundled market including the JavaScript shop, matching, the SciPy optimizer, the
# report) and a few offline test files. A floor that is too low fails here.
#
#   bash scripts/min_deps_smoke.sh            # keeps nothing; prints the versions used
#   KEEP=1 bash scripts/min_deps_smoke.sh     # keep the venv and its work folder
#
# Needs PyPI; takes a few minutes (most of it the install), so it is not part of
# `make test` (tests/operations/test_min_deps.py runs it when PRICING_MIN_DEPS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pricing-min-deps.XXXXXX")"
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

# the floors of the runtime dependencies, pinned
"$PYTHON" - "$ROOT/pyproject.toml" > "$WORK/floors.txt" <<'EOF'
import re
import sys
import tomllib

with open(sys.argv[1], "rb") as fh:
    deps = tomllib.load(fh)["project"]["dependencies"]
for dep in deps:
    name, spec = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", dep).groups()
    floor = re.search(r">=\s*([^,\s]+)", spec)
    if floor is None:
        sys.exit(f"min_deps_smoke: {dep!r} has no floor (>=); give it one")
    print(f"{name}=={floor.group(1)}")
EOF
sed -E 's/\[[^]]*\]//' "$WORK/floors.txt" > "$WORK/constraints.txt"  # no extras there
echo "min_deps_smoke: floors:"; sed 's/^/  /' "$WORK/floors.txt"

# a copy of the working tree (no build files written into the repository)
mkdir "$WORK/src"
git ls-files -z --cached --others --exclude-standard \
  | (cd "$ROOT" && xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$WORK/src"

"$PYTHON" -m venv "$WORK/venv"
PIP="$WORK/venv/bin/pip"
"$PIP" install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
"$PIP" install -q --prefer-binary -r "$WORK/floors.txt"
# the project itself, and the test tools (their own latest versions), against the floors
"$PIP" install -q --prefer-binary -c "$WORK/constraints.txt" "$WORK/src[dev]"
echo "min_deps_smoke: installed:"
"$PIP" freeze | grep -iE "^($(sed -E 's/==.*//' "$WORK/constraints.txt" | paste -sd'|'))==" \
  | sed 's/^/  /' || true
"$PIP" check

BIN="$WORK/venv/bin"
cd "$WORK"
"$BIN/pricing" --version
"$BIN/pricing" --db "sqlite:///$WORK/smoke.db" --config "$WORK/src/config" init
"$BIN/pricing" --config "$WORK/src/config" demo --out "$WORK/demo" | tee "$WORK/demo.log"
test -s "$WORK/demo/report/report.html"
# every demo shop crawled (the JavaScript one through scrapy-playwright and Chromium)
if tr '\n' ' ' < "$WORK/demo.log" | grep -qE ": 0 products"; then
  echo "min_deps_smoke: a demo crawl found nothing" >&2; exit 1
fi
cd "$WORK/src"
"$BIN/pytest" -q -p no:cacheprovider \
  tests/crawling/test_price_parsing.py tests/crawling/test_extraction.py tests/optimizer/test_optimizer.py \
  tests/operations/test_config.py tests/web/test_web_ops.py \
  tests/operations/test_operations.py::test_version_prints_the_installed_version
echo "min_deps_smoke: ok"
