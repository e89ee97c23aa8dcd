#!/usr/bin/env bash
# Container smoke test (not in CI: it takes minutes). Builds the image with rootful Podman (vfs storage,
# runc, explicit nofile/nproc ulimits), then in the image: `archivist index`, `ask`, `status` on a
# bind-mounted /data owned by uid 1000, and the bot against the local Discord stand-in until the
# container's health check says healthy. Prints a summary (image size, timings) at the end.
#
#   sudo scripts/container-check.sh              # everything
#   sudo scripts/container-check.sh --base-only  # only make the base image when the registry is unreachable
#
# When docker.io cannot be reached, the base image node:20-bookworm-slim is made locally: debootstrap
# of Debian bookworm plus this machine's Node (its binary, npm and headers) and a `node` user (uid 1000),
# as in the official image.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null 2>&1; then
  echo "Podman is not installed (Debian: apt-get install -y podman runc debootstrap); nothing checked." >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "Run it as root (rootful Podman): sudo $0" >&2
  exit 1
fi

BASE=docker.io/library/node:20-bookworm-slim
IMAGE=${IMAGE:-localhost/archivist:check}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PODMAN=(podman --storage-driver vfs --runtime runc)
ULIMITS=(--ulimit nofile=65536:65536 --ulimit nproc=65536:65536)
WORK=$(mktemp -d /tmp/archivist-container-check.XXXXXX)
SUMMARY=()
FAKE_PID=
cleanup() {
  "${PODMAN[@]}" rm -f archivist-check-bot >/dev/null 2>&1 || true
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s; }
note() { SUMMARY+=("$1"); echo "== $1"; }

make_base() {
  if "${PODMAN[@]}" image exists "$BASE"; then return; fi
  if timeout 60 "${PODMAN[@]}" pull -q "$BASE" >/dev/null 2>&1; then note "base: pulled $BASE"; return; fi
  local t0 root node_dir
  t0=$(now)
  root="$WORK/rootfs"
  command -v debootstrap >/dev/null || { echo "The registry is unreachable and debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  # This machine's Node, laid out as in the official image (/usr/local), with its headers so that
  # native modules compile without downloading them.
  node_dir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  install -m 0755 "$(readlink -f "$(command -v node)")" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
  cp -a "$(npm root -g)/npm" "$root/usr/local/lib/node_modules/npm"
  cp -a "$node_dir/include/node" "$root/usr/local/include/node"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  chroot "$root" sh -c 'apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin'
  tar -C "$root" -c . | "${PODMAN[@]}" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV npm_config_nodedir=/usr/local' \
    --change 'CMD ["node"]' - "$BASE" >/dev/null
  rm -rf "$root"
  note "base: made locally (debootstrap bookworm + Node $(node -v)) in $(($(now) - t0)) s"
}

make_base
if [ "${1:-}" = --base-only ]; then printf '%s\n' "${SUMMARY[@]}"; exit 0; fi
