#!/usr/bin/env bash
# Everything CI needs beyond the Rust toolchain, installed in one go so that `.ci/run` can
# start it in the background while cargo builds: Debian's chromium (browser checks),
# slurm-wlm and munge (the Slurm sweep), python3-venv, and the notebooks' virtualenv
# under target/venv (notebooks/requirements.txt, from PyPI). Each part is skipped when
# already there, so a second run costs nothing. The scripts that use these still check
# and install on their own when run by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${need[@]}"
fi

VENV=target/venv
if ! "$VENV/bin/python" -c 'import pandas, scipy, matplotlib, pyarrow, nbclient, nbconvert, ipykernel' 2>/dev/null; then
  mkdir -p target
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt
fi
echo "install.sh: ok (${need[*]:-no Debian packages needed})"
