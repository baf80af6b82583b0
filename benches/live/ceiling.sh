#!/usr/bin/env bash
# Live mode's generator ceiling on this machine: the highest request rate that
# `tenantsim load` sends on time (at most 1% of sends later than `late_bound`, 10 ms in
# scenarios/live-isolation.toml) against `tenantsim serve-reference` on loopback.
#
#   bash benches/live/ceiling.sh                      # rates 2000 4000 8000 12000 16000, 5 s each
#   RATES="1000 2000" SECONDS_EACH=3 bash benches/live/ceiling.sh
#
# The reference service is made as cheap as possible (1 µs of CPU, no DB query, two workers,
# no limits that bite) so that the generator, not the service, is what runs out; both share
# the machine's cores, as they would on a CI runner. Sends only to 127.0.0.1. Prints one line
# per rate and the ceiling (the highest rate whose result was valid).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

RATES="${RATES:-2000 4000 8000 12000 16000}"
SECONDS_EACH="${SECONDS_EACH:-5}"
PORT="${PORT:-18199}"
cargo build --release --quiet
bin=./target/release/tenantsim
file=scenarios/live-isolation.toml
tmp=$(mktemp -d)
trap 'kill "${srv:-0}" 2>/dev/null || true; rm -rf "$tmp"' EXIT

cheap=(--set 'classes.api.service=const(1us)' --set 'classes.api.db_queries=const(0)'
  --set platform.workers=2 --set platform.queue_limit=100000
  --set 'tiers.standard.rate_limit=1000000/s' --set tiers.standard.burst=100000
  --set "duration=${SECONDS_EACH}s" --set 'tenants.light.rate=1/s')

ceiling=0
for r in $RATES; do
  "$bin" serve-reference --scenario "$file" --listen "127.0.0.1:$PORT" "${cheap[@]}" \
    --set "tenants.heavy.rate=$r/s" >"$tmp/serve.log" 2>&1 &
  srv=$!
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
  done
  "$bin" load "$file" --target "http://127.0.0.1:$PORT" "${cheap[@]}" \
    --set "tenants.heavy.rate=$r/s" --out "$tmp/out-$r" >"$tmp/load-$r.log" 2>&1 || true
  kill "$srv" 2>/dev/null || true
  wait "$srv" 2>/dev/null || true
  python3 - "$tmp/out-$r/summary.json" "$r" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["live"]
g = s["generator"]
late = 100.0 * g["late_sends"] / max(1, g["sent_requests"])
print(f"rate {sys.argv[2]:>6}/s  achieved {g['achieved_rate_per_s']:9.1f}/s  "
      f"late>{g['late_bound_ms']} ms {late:6.2f}%  late p99 {g['late_p99_ms']:.2f} ms  "
      f"valid {s['valid']}")
EOF
  if python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["live"]["valid"] else 1)' \
    "$tmp/out-$r/summary.json"; then
    ceiling=$r
  fi
done
echo "ceiling: ${ceiling} requests/s with at most 1% of sends late (loopback, service on the same cores)"
