#!/usr/bin/env bash
# `tenantsim compare` scaling with --jobs: the same sweep with --jobs 1 and --jobs 2,
# alternately, ROUNDS times each; prints the wall time of every run, the medians and the
# speed-up (target >= 1.8x on 2 cores), and checks that both wrote byte-identical
# compare.json (the results must not depend on --jobs).
#
#   bash benches/compare_jobs.sh                 # 2 policies x 10 seeds of placement-study
#   ROUNDS=5 SEEDS=1..=20 bash benches/compare_jobs.sh
#
# Run from the repository root after `cargo build --release`; needs GNU time (/usr/bin/time).
set -euo pipefail
BIN=${BIN:-target/release/tenantsim}
ROUNDS=${ROUNDS:-3}
SEEDS=${SEEDS:-1..=10}
SCENARIO=${SCENARIO:-scenarios/placement-study.toml}
VARY=${VARY:-control_plane.placement=least_loaded,power_of_two}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
run() { # $1 = jobs, $2 = round
  /usr/bin/time -f "%e" -o "$OUT/t" "$BIN" compare "$SCENARIO" --seeds "$SEEDS" --vary "$VARY" \
    --jobs "$1" --out "$OUT/j$1" >/dev/null 2>&1 || { echo "compare --jobs $1 failed" >&2; exit 2; }
  local t; t=$(cat "$OUT/t"); echo "round $2 jobs=$1 wall_s=$t" >&2; echo "$t"
}
j1=(); j2=()
for r in $(seq 1 "$ROUNDS"); do
  j1+=("$(run 1 "$r")")
  j2+=("$(run 2 "$r")")
done
cmp -s "$OUT/j1/compare.json" "$OUT/j2/compare.json" || { echo "compare.json differs between --jobs 1 and 2" >&2; exit 3; }
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m1=$(med "${j1[@]}"); m2=$(med "${j2[@]}")
echo "compare_jobs scenario=$SCENARIO seeds=$SEEDS jobs1_median_s=$m1 jobs2_median_s=$m2 speedup=$(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.2f", a/b}') identical_output=yes"
