#!/usr/bin/env bash
# Re-captures the real-peer packet fixtures (test/fixtures/pcap, test/fixtures/packets) in network
# namespaces: dnsmasq and Kea serving udhcpc, dhclient and dhcpcd, a NAK from each, and a relayed exchange
# through dhcrelay. Needs root and the Debian peers of test/lab/peers.ts. Run by hand, not in CI; review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "run as root (network namespaces)" >&2; exit 1; fi
exec node --import tsx scripts/lab/capture-fixtures.ts "$@"
