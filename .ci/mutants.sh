#!/usr/bin/env bash
# Mutation testing of the core rules with cargo-mutants (issue 25, point 3). On demand,
# not part of .ci/run: the rule files hold about 1,500 mutants, and each costs an
# incremental build of the library and the test suite plus a test run (docs/mutants.md).
#
#   .ci/mutants.sh                         # every rule file (many hours on 2 cores)
#   .ci/mutants.sh src/alloc/drf.rs        # one file
#   FILTER="alloc drf" .ci/mutants.sh src/alloc/drf.rs   # only tests whose names match
#
# Results: target/mutants/mutants.out/{caught,missed,timeout,unviable}.txt
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/target/tools"
if [ ! -x "$tools/bin/cargo-mutants" ]; then
  cargo install --locked cargo-mutants --version 27.1.0 --root "$tools"
fi
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(src/alloc/{round,drf,hierarchical,quota,role_tree}.rs
         src/mesos/{master,health,ha,agent}.rs
         src/coord/{election,group,session,zab}.rs
         src/frameworks/core.rs)
fi
args=()
for f in "${files[@]}"; do args+=(--file "$f"); done
# In place: the tree's own target directory is reused, so each mutant is an
# incremental build (of the test profile, opt-level 1: a release rebuild of the
# library alone takes minutes).
# shellcheck disable=SC2086
"$tools/bin/cargo-mutants" mutants "${args[@]}" --in-place \
  --timeout-multiplier 3 --output target/mutants -- --test suite -- ${FILTER:-}
