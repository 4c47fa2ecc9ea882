#!/usr/bin/env bash
# End-to-end sweep on a real one-node SLURM cluster, as CI runs it:
# start the cluster (Debian's slurm packages, installed if missing), run
# configs/sweep_example.ron locally, submit the same sweep as a 4-task job
# array plus a merge job (chokepoint sweep --emit-slurm), wait, compare the
# merged output byte for byte with the local run, and shut the cluster down.
# Needs root (it starts slurmctld, slurmd and munge). Usage: scripts/slurm-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[slurm-test] $*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root (starts SLURM daemons)"; exit 1; }

cargo build --release --locked -q
bin=$(pwd)/target/release/chokepoint
work=$(mktemp -d /tmp/chokepoint-slurm.XXXXXX)
cleanup() { scripts/slurm-local.sh down || true; rm -rf "$work"; }
trap cleanup EXIT

scripts/slurm-local.sh up
"$bin" sweep configs/sweep_example.ron --out "$work/local" --jobs 2 >/dev/null
"$bin" sweep configs/sweep_example.ron --out "$work/cluster" --emit-slurm \
    --tasks 4 --cpus-per-task 1 --mem 512M --time 00:10:00 >/dev/null
read -r array merge < <("$work/cluster/submit.sh")
say "submitted array $array and merge $merge"
for ((i = 0; i < 900; i++)); do
  left=$(squeue -h -j "$array,$merge" -o "%i %T %r" 2>/dev/null || true)
  [ -z "$left" ] && break
  if grep -q DependencyNeverSatisfied <<<"$left"; then
    say "an array task failed:"; cat "$work"/cluster/slurm/*.out >&2 || true; exit 1
  fi
  sleep 1
done
[ -z "${left:-}" ] || { say "timed out waiting for the jobs: $left"; exit 1; }
ls "$work"/cluster/parts
for f in runs.csv points.csv series.parquet; do
  [ -f "$work/cluster/$f" ] || { say "no $f: the merge job did not run"; cat "$work"/cluster/slurm/*.out >&2 || true; exit 1; }
  cmp "$work/local/$f" "$work/cluster/$f" || { say "$f differs between the cluster and the local run"; exit 1; }
done
say "OK: 4-task array + merge on SLURM gives output byte-identical to the local sweep"
