#!/usr/bin/env bash
# Peak memory per firm of `chokepoint run` at several sizes: the baseline
# with populations scaled (configs/scale_1e6.ron, 52 weeks, 2 threads),
# peak RSS from /usr/bin/time -v (Debian package `time`).
#
#   scripts/memory.sh            # 1e4, 1e5, 1e6 firms
#   scripts/memory.sh 1052.6     # population_scale values of your own
#
# Prints firms, peak RSS and RSS per firm; compare the last with
# FIRM_COMPONENT_BYTES (src/model/mod.rs, stated in BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
cargo build --release --locked --quiet
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(1.0521 10.526 105.26)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-10s %10s %12s %10s\n' scale firms peak_rss_kib bytes/firm
for scale in "${scales[@]}"; do
    log="$out/log_$scale"
    /usr/bin/time -v ./target/release/chokepoint run configs/scale_1e6.ron \
        --threads 2 --set "population_scale=$scale" --out "$out/run_$scale" >"$log" 2>&1
    firms=$(grep -o '[0-9]* firms' "$log" | head -1 | cut -d' ' -f1)
    rss=$(grep 'Maximum resident' "$log" | awk '{print $NF}')
    awk -v s="$scale" -v f="$firms" -v r="$rss" 'BEGIN { printf "%-10s %10s %12s %10.1f\n", s, f, r, r * 1024 / f }'
done
