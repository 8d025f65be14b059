#!/usr/bin/env bash
# Builds the native transport addon for every Linux architecture the package ships a binary for, into
# prebuilds/linux-<arch>/leasekeeper_transport.node (loaded by src/transport/linux/native.ts; used by
# scripts/install-native.js instead of compiling at install). The addon uses Node-API only, so one build
# per architecture serves every Node line. arm64 is cross-compiled with Debian's g++-aarch64-linux-gnu.
# Node headers: npm_config_nodedir when set (node-gyp cannot download them here), else node-gyp's default.
set -euo pipefail
cd "$(dirname "$0")/.."
gyp=(node "$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js")
[ -f "${gyp[1]}" ] || gyp=(npx --no-install node-gyp)
nodedir=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
if [ -n "$nodedir" ] && [ "$nodedir" != undefined ] && [ "$nodedir" != null ]; then gyp+=(--nodedir="$nodedir"); fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

build() { # arch, then environment assignments for the compiler
  local arch=$1
  shift
  env "$@" "${gyp[@]}" rebuild --arch="$arch" >"$out/$arch.log" 2>&1 ||
    { tail -30 "$out/$arch.log"; echo "prebuilds: linux-$arch build failed" >&2; return 1; }
  mkdir -p "prebuilds/linux-$arch"
  cp build/Release/leasekeeper_transport.node "prebuilds/linux-$arch/"
}

rm -rf prebuilds
build x64 CC="${CC:-gcc}" CXX="${CXX:-g++}"
if ! command -v aarch64-linux-gnu-g++ >/dev/null && [ "${CI:-}" != true ]; then
  echo "prebuilds: aarch64-linux-gnu-g++ missing (apt-get install g++-aarch64-linux-gnu): linux-arm64 left out" >&2
else
  build arm64 CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar
fi
# Leave the host's own build in build/ as a plain `npm install` would.
"${gyp[@]}" rebuild >/dev/null 2>&1 || true
file prebuilds/*/leasekeeper_transport.node 2>/dev/null || ls -l prebuilds/*/
