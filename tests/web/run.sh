#!/usr/bin/env bash
# The browser tests of the pages `icaze serve` embeds (the employer portal, the
# 102 console, the citizen page), in Debian's headless Chromium through
# Playwright, against the real server on a fresh data directory.
#
#   bash tests/web/run.sh                 build, then run every tests/web/*.test.mjs
#   bash tests/web/run.sh portal          only the files whose name contains "portal"
#
# With ICAZE_PREBUILT=1 it runs target/debug/icaze as it is, without building
# (.ci/run sets it: its one test build made that binary).
#
# Needs: cargo, Node.js >= 20 with npm, /usr/bin/chromium (or CHROMIUM=...).
# Screenshots: target/web-tests/ (kept as CI artefacts). Exit status: non-zero
# when the build or any test file fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${ICAZE_PREBUILT:-}" != 1 ]; then
    echo "== cargo build -p icaze --locked"
    cargo build -p icaze --locked
fi
[ -x target/debug/icaze ] || { echo "tests/web/run.sh: target/debug/icaze is missing (build it, or unset ICAZE_PREBUILT)" >&2; exit 1; }

echo "== npm packages (tests/web)"
stamp=tests/web/node_modules/.icaze-package-lock
if ! cmp -s tests/web/package-lock.json "$stamp" 2>/dev/null; then
    (cd tests/web && npm ci --no-audit --no-fund)
    cp tests/web/package-lock.json "$stamp"
fi

mkdir -p target/web-tests
failed=0
ran=0
for file in tests/web/*.test.mjs; do
    [ -e "$file" ] || continue
    case "$(basename "$file")" in *"${1:-}"*) ;; *) continue ;; esac
    ran=$((ran + 1))
    echo "== node --test $file"
    if ! node --test --test-reporter=spec "$file"; then
        echo "FAILED: $file" >&2
        failed=$((failed + 1))
    fi
done
if [ "$ran" -eq 0 ]; then
    echo "no test file matched '${1:-}'" >&2
    exit 2
fi
echo "== $ran test files, $failed failed; screenshots in target/web-tests/"
[ "$failed" -eq 0 ]
