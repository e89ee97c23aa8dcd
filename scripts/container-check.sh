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
WORK=$(mktemp -d /tmp/archivist-container-check.XXXXXX)
SUMMARY=()
# nofile may not exceed this machine's hard limit (runc refuses to raise it).
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
ULIMITS=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=16384:16384)
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

# A TLS-intercepting proxy between this machine and the npm registry (NODE_EXTRA_CA_CERTS set here):
# the build stage's npm must trust the same certificates, so the base gets them too.
trust_host_ca() {
  local ca=${NODE_EXTRA_CA_CERTS:-}
  [ -n "$ca" ] && [ -f "$ca" ] || return 0
  if "${PODMAN[@]}" run --rm "${ULIMITS[@]}" --network none "$BASE" test -f /etc/host-extra-ca.crt 2>/dev/null; then return; fi
  "${PODMAN[@]}" rm -f archivist-check-base >/dev/null 2>&1 || true
  "${PODMAN[@]}" create --name archivist-check-base "$BASE" true >/dev/null
  "${PODMAN[@]}" cp "$ca" archivist-check-base:/etc/host-extra-ca.crt
  "${PODMAN[@]}" commit -q --change 'ENV NODE_EXTRA_CA_CERTS=/etc/host-extra-ca.crt' archivist-check-base "$BASE" >/dev/null
  "${PODMAN[@]}" rm archivist-check-base >/dev/null
  note "base: trusts this machine's extra CA certificates ($ca)"
}

make_base
trust_host_ca
if [ "${1:-}" = --base-only ]; then printf '%s\n' "${SUMMARY[@]}"; exit 0; fi


t0=$(now)
# --format docker keeps the HEALTHCHECK (the OCI format has none); --network host: the build stage
# installs Debian packages and npm modules.
if ! "${PODMAN[@]}" build --format docker --pull=never --network host "${ULIMITS[@]}" -t "$IMAGE" . >"$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log" >&2
  exit 1
fi
note "build: $(($(now) - t0)) s"
bytes=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")
note "image size: $((bytes / 1000000)) MB ($IMAGE)"
"${PODMAN[@]}" run --rm "${ULIMITS[@]}" --network none "$IMAGE" sh -c \
  'echo "archivist on PATH: $(command -v archivist), version $(archivist --version)";
   echo "node_modules: $(du -sm node_modules | cut -f1) MB, dist: $(du -sm dist | cut -f1) MB";
   echo "leftovers (tsbuildinfo, maps, sqlite3.a, obj*): $(find / -xdev \( -name "*.tsbuildinfo" -o -name "*.map" -o -name sqlite3.a -o -path "*/build/Release/obj*" \) 2>/dev/null | wc -l)"' \
  | while read -r line; do note "$line"; done

# /data bind-mounted from a folder of this machine: it must belong to uid 1000 (the image's node user).
DATA="$WORK/data"
mkdir -p "$DATA" && chown 1000:1000 "$DATA"
RUN=("${PODMAN[@]}" run --rm "${ULIMITS[@]}" -v "$DATA:/data" -e ALLOW_REMOTE_MODELS=false)
QUESTION="What did Saldo urge Kherson residents to do?"

t0=$(now)
"${RUN[@]}" --network none "$IMAGE" archivist index >"$WORK/index.log" 2>&1 || { cat "$WORK/index.log" >&2; exit 1; }
note "archivist index: $(($(now) - t0)) s ($(grep -m1 '^Indexed' "$WORK/index.log"))"
t0=$(now)
"${RUN[@]}" --network none "$IMAGE" archivist ask "$QUESTION" >"$WORK/ask.log" 2>&1 || { cat "$WORK/ask.log" >&2; exit 1; }
note "archivist ask: $(($(now) - t0)) s ($(sed -n 1p "$WORK/ask.log" | cut -c1-60); first source: $(grep -m1 '^1\. ' "$WORK/ask.log" | cut -c1-70))"
"${RUN[@]}" --network none "$IMAGE" archivist status >"$WORK/status.log" 2>&1 || { cat "$WORK/status.log" >&2; exit 1; }
note "archivist status: $(grep -m1 '^Articles' "$WORK/status.log")"
set +e
"${RUN[@]}" --network none "$IMAGE" archivist indx >"$WORK/typo.log" 2>&1
code=$?
set -e
note "archivist indx: exit $code, $(grep -m1 'Did you mean' "$WORK/typo.log")"

# The bot, configured as docker-compose.yml does (.env copied from .env.example, token and ids filled,
# the paths set by compose), against the Discord stand-in on this machine.
TOKEN="Y29udGFpbmVyLWNoZWNr.$(date +%s).container-check"
node --import tsx tests/support/fake-discord-server.ts --token "$TOKEN" --ask "$QUESTION" >"$WORK/fake.out" 2>&1 &
FAKE_PID=$!
for _ in $(seq 120); do grep -q '"url"' "$WORK/fake.out" && break; sleep 0.5; done
URL=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).url' "$WORK/fake.out")
APP=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).applicationId' "$WORK/fake.out")
sed -e "s|^DISCORD_TOKEN=.*|DISCORD_TOKEN=$TOKEN|" -e "s|^DISCORD_CLIENT_ID=.*|DISCORD_CLIENT_ID=$APP|" -e "s|^DISCORD_API_URL=.*|DISCORD_API_URL=$URL|" .env.example >"$WORK/.env"
COMPOSE_ENV=(--env-file "$WORK/.env" -e CORPUS_PATHS=/corpus -e INDEX_DIR=/data/index -e DATA_DIR=/data/feedback -e MODEL_DIR=/data/models -e ALLOW_REMOTE_MODELS=false)

"${RUN[@]}" --network host "${COMPOSE_ENV[@]}" "$IMAGE" archivist deploy-commands >"$WORK/deploy.log" 2>&1 || { cat "$WORK/deploy.log" >&2; exit 1; }
note "archivist deploy-commands: $(head -c 60 "$WORK/deploy.log")…"

t0=$(now)
"${PODMAN[@]}" run -d --name archivist-check-bot "${ULIMITS[@]}" --network host -v "$DATA:/data" "${COMPOSE_ENV[@]}" "$IMAGE" >/dev/null
health=unhealthy
for _ in $(seq 90); do
  sleep 2
  if "${PODMAN[@]}" healthcheck run archivist-check-bot >/dev/null 2>&1; then health=healthy; break; fi
  if [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' archivist-check-bot)" != true ]; then break; fi
done
note "bot (default CMD, compose settings): health check $health after $(($(now) - t0)) s"
for _ in $(seq 60); do grep -q '^answered\|^no answer' "$WORK/fake.out" && break; sleep 1; done
note "/ask through the stand-in: $(grep -m1 '^answered\|^no answer' "$WORK/fake.out" || echo 'no reply')"
t0=$(now)
"${PODMAN[@]}" stop -t 15 archivist-check-bot >/dev/null
note "stop (SIGTERM): $(($(now) - t0)) s, exit code $("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' archivist-check-bot)"
"${PODMAN[@]}" logs archivist-check-bot >"$WORK/bot.log" 2>&1 || true
[ "$health" = healthy ] || { tail -20 "$WORK/bot.log" >&2; }

echo
echo "Summary ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  %s\n' "${SUMMARY[@]}"
[ "$health" = healthy ]
