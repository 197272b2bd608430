#!/usr/bin/env bash
# Mutation testing of the core rules with cargo-mutants (issue 25, point 3). On demand,
# not part of .ci/run: the rule files hold about 1,500 mutants (docs/mutants.md).
#
#   .ci/mutants.sh                      # every rule file, group by group (about 10 h on 2 cores)
#   .ci/mutants.sh src/alloc/drf.rs     # one file, with its group's tests
#   FILTER="alloc drf" .ci/mutants.sh src/alloc/drf.rs   # with the tests named here instead
#
# Each file is tested with the tests that exercise its group (below), built with the
# `mutants` profile (opt-level 0: a 12 s incremental rebuild a mutant). Results:
# target/mutants/<file with / as _>/mutants.out/{caught,missed,timeout,unviable}.txt
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/target/tools"
if [ ! -x "$tools/bin/cargo-mutants" ]; then
  cargo install --locked cargo-mutants --version 27.1.0 --root "$tools"
fi

# The tests that exercise each group of rule files: test-name substrings (libtest filters,
# any may match) and `--skip` substrings for the slow tests that do not (the Mesos paper's
# Table 2 runs take minutes unoptimised).
tests_for() {
  case "$1" in
    src/alloc/*)
      echo "alloc drf quota role weight fifo hierarch mesos:: policy_extension \
            --skip validation_mesos --skip analysis:: --skip accepts_of_several --skip held_offers" ;;
    src/mesos/*)
      echo "mesos failover failures protocol frameworks engine fuzz::seeds_that_found_bugs \
            --skip validation_mesos" ;;
    src/coord/*)
      echo "coord failover fuzz::seeds_that_found_bugs" ;;
    src/frameworks/*)
      echo "frameworks mesos_fidelity protocol failover engine fuzz::seeds_that_found_bugs" ;;
    *) echo "" ;;
  esac
}

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(src/alloc/{drf,quota,round,role_tree,hierarchical}.rs
         src/coord/{election,group,session,zab}.rs
         src/mesos/{health,master,ha,agent}.rs
         src/frameworks/core.rs)
fi
for f in "${files[@]}"; do
  out="target/mutants/${f//\//_}"
  mkdir -p "$out"
  # In place: the tree's own target directory is reused, so each mutant is an
  # incremental build. Exit 2 (mutants missed) and 3 (timeouts) are results; anything
  # else (1 usage, 4 the unmutated tests fail) stops the script.
  rc=0
  # shellcheck disable=SC2086
  "$tools/bin/cargo-mutants" mutants --file "$f" --in-place --profile mutants \
    --timeout-multiplier 3 --output "$out" -- --test suite -- ${FILTER:-$(tests_for "$f")} \
    || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ] && [ "$rc" -ne 3 ]; then exit "$rc"; fi
  echo "== $f: $(for k in caught missed timeout unviable; do
    printf '%s %s  ' "$k" "$(wc -l < "$out/mutants.out/$k.txt" 2>/dev/null || echo 0)"; done)"
done
