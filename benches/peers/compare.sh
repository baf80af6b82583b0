#!/usr/bin/env bash
# Peer comparison: tenantsim's engine against SimPy on the same M/M/c queue
# (c = 8, rho = 0.9, exponential interarrival and service times, mean service 1 ms).
#
#   bash benches/peers/compare.sh                  # 1,000,000 customers (~2M events) each
#   CUSTOMERS=200000 bash benches/peers/compare.sh
#
# Installs SimPy with pip if it is missing, builds the engine bench in cargo's bench
# profile, then runs ours and SimPy's one after the other (never at the same time) and
# prints both rates and the ratio. Events are counted the same way for both: one arrival
# plus one departure per customer. Ours is the median of 5 timed runs after a warm-up
# (see benches/engine.rs); SimPy's is one run of env.run().
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

CUSTOMERS="${CUSTOMERS:-1000000}"
PY="${PYTHON:-python3}"

if ! "$PY" -c 'import simpy' 2>/dev/null; then
    echo "compare.sh: installing simpy with pip" >&2
    "$PY" -m pip install --quiet 'simpy==4.1.2' \
        || "$PY" -m pip install --quiet --user 'simpy==4.1.2' \
        || "$PY" -m pip install --quiet --break-system-packages 'simpy==4.1.2'
fi
simpy_version=$("$PY" -c 'import simpy; print(simpy.__version__)')

echo "compare.sh: building benches/engine.rs (bench profile)" >&2
cargo bench --bench engine --no-run --quiet

echo "compare.sh: running tenantsim ($CUSTOMERS customers)" >&2
ours=$(TENANTSIM_PEER_EVENTS=1 TENANTSIM_PEER_CUSTOMERS="$CUSTOMERS" \
    cargo bench --bench engine --quiet | grep '^tenantsim ')

echo "compare.sh: running SimPy $simpy_version ($CUSTOMERS customers, $("$PY" --version 2>&1))" >&2
theirs=$("$PY" benches/peers/mmc_simpy.py "$CUSTOMERS" | grep '^simpy ')

rate() { sed -n 's/.*events_per_sec=\([0-9.]*\).*/\1/p' <<<"$1"; }
ours_rate=$(rate "$ours")
theirs_rate=$(rate "$theirs")

echo "$ours"
echo "$theirs"
awk -v a="$ours_rate" -v b="$theirs_rate" \
    'BEGIN { printf "ratio tenantsim/simpy=%.1f (target >= 100)\n", a / b }'
