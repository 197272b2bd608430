#!/usr/bin/env bash
# Executes every notebook under notebooks/ against the release binary, in a virtualenv
# under target/venv (notebooks/requirements.txt, from PyPI). Executed copies go to
# target/notebooks/ (not committed); figures and sweeps to results/ (ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/venv
if ! "$VENV/bin/python" -c 'import pandas, scipy, matplotlib, pyarrow, nbclient, nbconvert, ipykernel' 2>/dev/null; then
  if ! python3 -m venv "$VENV"; then   # Debian's python3 needs python3-venv for ensurepip
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt
fi
cargo build --release --quiet
export SCHEDLAB_BIN=$PWD/target/release/schedlab
mkdir -p target/notebooks
shopt -s nullglob
for nb in notebooks/*.ipynb; do
  echo "notebooks.sh: executing $nb"
  "$VENV/bin/jupyter" nbconvert --to notebook --execute \
    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 \
    --output-dir target/notebooks "$nb"
done
