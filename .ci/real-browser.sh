#!/usr/bin/env bash
# Browser test of the real-network mode: headless Chromium opens the live page of a
# running real-mode cluster (tests/suite/real_browser.rs). Installs Chromium if missing;
# with SCHEDLAB_BROWSER=1 a missing browser fails the test instead of skipping it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
SCHEDLAB_BROWSER=1 cargo test --release --quiet --test suite real_browser::
