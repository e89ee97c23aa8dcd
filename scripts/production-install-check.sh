#!/usr/bin/env bash
# CI step: the production install README describes works. A copy of the repository's files (git ls-files,
# as a fresh clone has them) installed with `npm ci --omit=dev` from npm's cache: no tsx, no vitest;
# `prepare` compiles dist/. Then `npx archivist` indexes, answers, describes the index and the bot's
# help, and every message names `npx archivist …`, the command that works there.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/archivist-production.XXXXXX)
trap 'rm -rf "$dir"' EXIT
git ls-files -z | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' | tar --null -T - -cf - | tar -xf - -C "$dir"
cd "$dir"
export ALLOW_REMOTE_MODELS=false CI=true
fail() { echo "production install check: $1" >&2; exit 1; }

t0=$(date +%s)
npm ci --omit=dev --prefer-offline --no-audit --no-fund >install.log 2>&1 || { tail -30 install.log >&2; fail "npm ci --omit=dev failed"; }
echo "npm ci --omit=dev: $(($(date +%s) - t0)) s"
[ ! -e node_modules/tsx ] || fail "tsx is installed: not a production install"
[ -x dist/src/cli/archivist.js ] || fail "npm ci did not build dist/src/cli/archivist.js"

[ "$(npx archivist --version)" = "$(node -p 'require("./package.json").version')" ] || fail "archivist --version"
npx archivist index >index.log 2>&1 || { cat index.log >&2; fail "archivist index"; }
npx archivist ask "What did Saldo urge Kherson residents to do?" >ask.log 2>&1 || { cat ask.log >&2; fail "archivist ask"; }
grep -q '^1\. ' ask.log || { cat ask.log >&2; fail "archivist ask gave no passage"; }
npx archivist status >status.log 2>&1 || { cat status.log >&2; fail "archivist status"; }
grep -q '^Articles:  2 ' status.log || { cat status.log >&2; fail "archivist status does not describe the two seed articles"; }
npx archivist start --help >start-help.log 2>&1 || { cat start-help.log >&2; fail "archivist start --help"; }
grep -q '^Usage: npx archivist start' start-help.log || { cat start-help.log >&2; fail "archivist start --help should name npx archivist start"; }
npx archivist db migrate --help >migrate-help.log 2>&1 || { cat migrate-help.log >&2; fail "archivist db migrate --help"; }
grep -q '^Usage: npx archivist db migrate' migrate-help.log || { cat migrate-help.log >&2; fail "archivist db migrate --help should name npx archivist db migrate"; }
set +e
npx archivist status --index nowhere >missing.log 2>&1; missing=$?
npx archivist eval >eval.log 2>&1; evalCode=$?
npx archivist idnex >typo.log 2>&1; typo=$?
set -e
[ $missing = 1 ] && grep -q 'Build one with: npx archivist index --out nowhere' missing.log || { cat missing.log >&2; fail "status without an index should name npx archivist index"; }
[ $evalCode = 1 ] && grep -q 'runs only in a development clone' eval.log || { cat eval.log >&2; fail "archivist eval should say it needs a development clone"; }
[ $typo = 2 ] && grep -q 'Did you mean index?' typo.log || { cat typo.log >&2; fail "archivist idnex should exit 2 with a suggestion"; }
echo "production install check: passed in $(($(date +%s) - t0)) s"
