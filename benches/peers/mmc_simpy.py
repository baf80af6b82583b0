#!/usr/bin/env python3
"""The engine benchmark's M/M/c queue in SimPy, for the peer comparison.

Same model as benches/mmc/mod.rs: c = 8 servers, utilisation rho = 0.9, exponential
interarrival and service times, mean service time 1 ms (SimPy time unit: 1 ms), FIFO queue,
separate random streams for arrivals and service.

    python3 benches/peers/mmc_simpy.py [CUSTOMERS]      # default 1,000,000

Prints one line on stdout:

    simpy events=<n> seconds=<s> events_per_sec=<r>

Events are counted as ours are: one arrival plus one departure per customer (SimPy itself
processes several internal events per customer: timeouts, resource request and release,
process start). Only env.run() is timed. A sanity line (mean wait against Erlang C) goes to
stderr.
"""

import math
import random
import sys
import time

import simpy

SERVERS = 8
RHO = 0.9
MEAN_SERVICE = 1.0  # ms
SEED = 42


def erlang_c_wait(c, rho, mean_service):
    a = rho * c
    s = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    p_wait = tail / (s + tail)
    mu = 1.0 / mean_service
    return p_wait / (c * mu - rho * c * mu)


def main():
    customers = int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 1_000_000
    lam = RHO * SERVERS / MEAN_SERVICE
    mu = 1.0 / MEAN_SERVICE
    arrivals = random.Random(f"{SEED}/mmc/arrivals")
    service = random.Random(f"{SEED}/mmc/service")

    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    stats = {"wait": 0.0, "served": 0}

    def customer(env):
        arrived = env.now
        with servers.request() as req:
            yield req
            stats["wait"] += env.now - arrived
            yield env.timeout(service.expovariate(mu))
        stats["served"] += 1

    def source(env):
        for _ in range(customers):
            yield env.timeout(arrivals.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run()
    seconds = time.perf_counter() - t0

    served = stats["served"]
    assert served == customers, (served, customers)
    events = 2 * served
    mean_wait = stats["wait"] / served if served else 0.0
    theory = erlang_c_wait(SERVERS, RHO, MEAN_SERVICE)
    print(
        f"simpy sanity: customers={served} mean_wait={mean_wait * 1e6:.1f}ns "
        f"erlang_c={theory * 1e6:.1f}ns rel_err={(mean_wait - theory) / theory * 100:+.2f}%",
        file=sys.stderr,
    )
    print(f"simpy events={events} seconds={seconds:.6f} events_per_sec={events / seconds:.0f}")


if __name__ == "__main__":
    main()
