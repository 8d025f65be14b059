#!/usr/bin/env bash
# The reliability suite: the server under hostile and failing conditions, with real peers in network
# namespaces (needs root and the Debian packages of README.md, "Run the tests"). Each test is bounded in
# packets and time; `npm test` runs them too. Add new reliability tests to this list.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(
  # 200,000 mutated requests: the server stays up, RSS bounded, a real udhcpc client served after.
  test/interop/mutated-packets.test.ts
  # A 2,000/s DISCOVER flood from random MACs (perfdhcp -i): a new udhcpc client gets an address during it.
  test/interop/discover-flood.test.ts
  # udhcpc sends a host name with CR, LF, ESC and a forged DHCPACK line: the log keeps it escaped.
  test/interop/log-injection.test.ts
  # kill -9 under perfdhcp load: no acknowledged lease lost.
  test/interop/crash.test.ts
  # Hostile input on a virtual network: log injection, unencodable replies, junk, odd hlen, refused sends.
  test/runtime/hardening.test.ts
  # Pool starvation and per-client limits in the engine.
  test/server/flood.test.ts
  # A full disk (a 2 MiB tmpfs): no ACK while full, service back once space is freed, bounded log lines.
  test/leases/sqlite-full-disk.test.ts
  # PostgreSQL stopped under a running server: no ACK while down, back without a restart, one log line.
  test/leases/postgres-outage.test.ts
  # A damaged lease file (index page, WAL) is refused with the recovery steps, never overwritten.
  test/leases/sqlite-damage.test.ts
)
exec bash scripts/test.sh "${files[@]}" "$@"
