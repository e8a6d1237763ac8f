#!/usr/bin/env bash
# The app's tests, from a fresh Debian/Ubuntu machine (as root, or with sudo):
# installs what is missing (WebKitGTK build packages, Xvfb, WebKitWebDriver,
# Chromium, tauri-driver, the UI's npm packages), builds the UI and the app,
# then runs the UI unit tests (Vitest), the UI flows in headless Chromium with
# the IPC mocked (Playwright), and the real app in a real window under Xvfb
# (tauri-driver + WebKitWebDriver). Screenshots: target/app-test/.
#
#   bash tests/app/run.sh            install what is missing, build, test
#   bash tests/app/run.sh --deps     only install what is missing (before anything compiles
#                                    the workspace: src-tauri needs the WebKitGTK packages)
#   bash tests/app/run.sh --ui       npm packages, build ui/dist, Vitest (before a build with
#                                    icaze-app/custom-protocol, which embeds ui/dist)
#   bash tests/app/run.sh --e2e      the UI flows in Chromium (Playwright): ui/tests/e2e/run.mjs,
#                                    which imports harness.mjs (one build, preview and browser)
#                                    and a module of tests per area (verdicts.mjs, camera.mjs, …)
#   bash tests/app/run.sh --window   the real window and `icaze up`'s window
#
# --window runs target/debug/icaze and target/debug/icaze-app. Without
# ICAZE_PREBUILT=1 it builds them first; .ci/run sets it, because its one
# test build (with icaze-app/custom-protocol) already made both.
#
# Idempotent: installs are skipped when present, `npm ci` when node_modules
# already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../.."

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages: the WebKitGTK build set (docs/app.md), the display, the
# WebDriver for WebKitGTK, and the browser for the UI tests.
packages=(libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev
    libayatana-appindicator3-dev libxdo-dev libssl-dev pkg-config build-essential file
    xvfb xauth webkit2gtk-driver chromium)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Vite 8 needs Node.js 20.19 or newer; Debian 12's own nodejs is 18. Newer
# distributions (Debian 13, Ubuntu 24.04) ship a recent enough one.
node_ok() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
        node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'
}
if [ ${#missing[@]} -gt 0 ] || ! node_ok; then
    as_root apt-get update -q
fi
if ! node_ok; then
    candidate=$(apt-cache policy nodejs | awk '/Candidate:/ {print $2}')
    case "$candidate" in
        2[0-9].*|[3-9][0-9].*) missing+=(nodejs npm) ;;
        *)
            echo "tests/app/run.sh: Node.js >= 20.19 with npm is needed (this system offers nodejs ${candidate:-none})." >&2
            echo "Install Node.js 20 or 22 (e.g. from https://deb.nodesource.com or nvm) and run again." >&2
            exit 2
            ;;
    esac
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "== installing tauri-driver"
    cargo install tauri-driver --locked
fi
stage=${1:-all}
case "$stage" in
    --deps) exit 0 ;;
    all | --ui | --e2e | --window) ;;
    *)
        echo "tests/app/run.sh: unknown stage '$stage' (--deps, --ui, --e2e or --window)" >&2
        exit 2
        ;;
esac

if [ "$stage" = all ] || [ "$stage" = --ui ]; then
    echo "== UI: npm packages, build, unit tests (Vitest)"
    stamp=ui/node_modules/.icaze-package-lock
    if ! cmp -s ui/package-lock.json "$stamp" 2>/dev/null; then
        (cd ui && npm ci --no-audit --no-fund)
        cp ui/package-lock.json "$stamp"
    fi
    (cd ui && npm run build && npm test)
fi

if [ "$stage" = all ] || [ "$stage" = --e2e ]; then
    echo "== UI flows in headless Chromium, IPC mocked (Playwright)"
    (cd ui && npm run test:e2e)
fi

if [ "$stage" != all ] && [ "$stage" != --window ]; then
    exit 0
fi

echo "== the app in a real window (Xvfb, tauri-driver, WebKitWebDriver)"
if [ "${ICAZE_PREBUILT:-}" != 1 ]; then
    # A debug build with the UI embedded (custom-protocol), not the Vite dev server.
    cargo build --locked -p icaze -p icaze-app --features icaze-app/custom-protocol
fi
for binary in target/debug/icaze target/debug/icaze-app; do
    [ -x "$binary" ] || { echo "tests/app/run.sh: $binary is missing (build it, or unset ICAZE_PREBUILT)" >&2; exit 1; }
done
xvfb-run -a -s "-screen 0 1024x768x24" node tests/app/window.mjs

echo "== icaze up (the README's first command) opens the app's window on its demo device (Xvfb)"
up_dir=$(mktemp -d)
ICAZE_APP_BINARY="$PWD/target/debug/icaze-app" setsid xvfb-run -a -s "-screen 0 1024x768x24" \
    target/debug/icaze up --data "$up_dir" --listen 127.0.0.1:0 >"$up_dir/out" 2>&1 &
up_pid=$!
opened=no
for _ in $(seq 1 120); do
    if grep -q "icaze-app: device directory $up_dir/device" "$up_dir/out"; then opened=yes; break; fi
    kill -0 "$up_pid" 2>/dev/null || break
    sleep 1
done
kill -- -"$up_pid" 2>/dev/null || true
wait "$up_pid" 2>/dev/null || true
if [ "$opened" != yes ] || ! grep -q "up: the desktop app is open on the demo device" "$up_dir/out"; then
    echo "icaze up did not open the app's window; its output:" >&2
    cat "$up_dir/out" >&2
    exit 1
fi
rm -rf "$up_dir"
