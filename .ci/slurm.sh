#!/usr/bin/env bash
# Slurm for real: a one-node Slurm cluster on localhost (Debian's slurm-wlm + munge, as
# root), a sharded sweep submitted with the job-array script of `schedlab sweep
# --emit-slurm`, merged, and compared byte for byte with the same sweep run locally
# unsharded. Daemons are stopped at the end (trap). See README "Sweeps".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q slurm-wlm munge
fi

cargo build --release --quiet
BIN=$ROOT/target/release/schedlab
S=$ROOT/target/slurm
mkdir -p "$S"
# Daemons left over from an earlier, interrupted run of this script (by their pid files).
for f in "$S/slurmd.pid" "$S/slurmctld.pid"; do
  if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; fi
done
rm -rf "$S/state" "$S/spool" "$S/out" "$S/local" "$S"/*.log
mkdir -p "$S/state" "$S/spool"

STARTED_MUNGE=""
cleanup() {
  for f in "$S/slurmd.pid" "$S/slurmctld.pid"; do
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
  if [ -n "$STARTED_MUNGE" ] && [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# munge: a key (1024 random bytes, owner munge, mode 400) and munged as the munge user.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
  STARTED_MUNGE=1
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
fi

HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
export SLURM_CONF=$S/slurm.conf
cat > "$SLURM_CONF" <<EOF
ClusterName=schedlab
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
state=""
for _ in $(seq 60); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
if [ "$state" != idle ]; then
  echo "slurm.sh: node not idle after 60 s (state: '$state')" >&2
  tail -n 20 "$S/slurmctld.log" "$S/slurmd.log" >&2 || true
  exit 1
fi

# A tiny sweep: 2 policies x 3 seeds on a shortened policies scenario, 3 shards.
cat > "$S/spec.toml" <<EOF
scenario = "$ROOT/scenarios/policies.toml"
seeds = 3
[set]
"run.stop" = "2min"
[vary]
"allocator.policy" = ["drf", "binpack"]
EOF
"$BIN" sweep "$S/spec.toml" --out "$S/local" --jobs 1
"$BIN" sweep "$S/spec.toml" --out "$S/out" --emit-slurm "$S/job.sh" \
  --slurm-shards 3 --slurm-time 00:10:00 --slurm-cpus 1
grep -q '^#SBATCH --array=1-3$' "$S/job.sh"
job=$(sbatch --parsable "$S/job.sh")
job=${job%%;*}
echo "slurm.sh: submitted array job $job (3 shards)"
for i in $(seq 300); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  if [ "$i" = 300 ]; then echo "slurm.sh: job $job still queued after 300 s" >&2; squeue >&2; exit 1; fi
  sleep 1
done
# Without accounting, finished jobs stay visible to scontrol for MinJobAge (300 s).
states=$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c)
echo "slurm.sh: array tasks: $states"
if echo "$states" | grep -v -q 'JobState=COMPLETED'; then
  echo "slurm.sh: not every array task completed" >&2
  cat "$S"/out/slurm/*.out >&2 || true
  exit 1
fi
ls "$S/out"/sweep-shard-{1,2,3}-of-3.csv >/dev/null
"$BIN" sweep merge "$S/out"
cmp "$S/out/sweep.csv" "$S/local/sweep.csv"
echo "slurm.sh: 3 Slurm array tasks merged: sweep.csv identical to the local unsharded sweep ($(($(wc -l < "$S/local/sweep.csv") - 1)) runs)"
