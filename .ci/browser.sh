#!/usr/bin/env bash
# Opens a `schedlab report` in headless Chromium and checks that every inline image
# decoded and the tables are there. The report's own script sets document.title to
# `ok imgs=N/N tables=T` on load (`fail ...` when an image did not decode).
# Installs Debian's chromium when /usr/bin/chromium is missing. Saves a screenshot as
# target/report-screenshot.png. About 5 s once the release build exists.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

cargo build --release --quiet
bin=target/release/schedlab
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A small run with its message log: two frameworks on 20 agents (the quickstart).
"$bin" run --seed 3 --events --out "$work/run" >/dev/null
"$bin" report "$work/run" --events-at 0s --window 2s --out "$work/report.html" >/dev/null

chrome() {
    /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$work/profile" \
        --virtual-time-budget=5000 "$@" 2>/dev/null
}

chrome --dump-dom "file://$work/report.html" >"$work/dom.html"
# The first <title> is the page's (the sequence view's SVG has its own further down).
title=$(grep -o -m1 '<title>[^<]*</title>' "$work/dom.html" | sed -n '1s/<[^>]*>//gp')
echo "browser: report title: $title"
# Six figures, and at least the table of runs (a single run has no comparison).
case "$title" in
    "ok imgs=6/6 tables="*) ;;
    *) echo "browser: FAILED: images did not all load or the script did not run" >&2; exit 1 ;;
esac
tables=${title##*tables=}
if [ "$tables" -lt 1 ]; then
    echo "browser: FAILED: no table in the report" >&2
    exit 1
fi
grep -q 'class="seq"' "$work/dom.html" || { echo "browser: FAILED: no sequence view" >&2; exit 1; }

chrome --screenshot="$PWD/target/report-screenshot.png" --window-size=1300,2400 \
    "file://$work/report.html" >/dev/null
test -s target/report-screenshot.png
echo "browser: ok ($title; screenshot target/report-screenshot.png)"
