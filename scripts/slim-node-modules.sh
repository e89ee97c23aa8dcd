#!/bin/sh
# Run by the Dockerfile's build stage after `npm prune --omit=dev`: removes from node_modules and dist/
# what the image never uses. Each removal is safe on its own; the container check (scripts/container-check.sh)
# indexes, answers and starts the bot in the slimmed image.
set -eu
cd "${1:-.}"
arch=$(node -p process.arch)

# @xenova/transformers imports onnxruntime-web on every platform but runs onnxruntime-node on Node:
# keep only the module it imports (dist/ort-web.node.js, 0.5 MB), not the WebAssembly runtimes and
# browser bundles (63 MB).
web=node_modules/onnxruntime-web
if [ -d "$web" ]; then
  find "$web/dist" -type f ! -name ort-web.node.js -delete
  rm -rf "$web/lib" "$web/docs" "$web/types"
fi
# onnxruntime-node ships its native runtime for every OS: keep this one's.
find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 -type d ! -path "*/linux/$arch" -exec rm -rf {} +

# Native modules: only build/Release/*.node is loaded; object files, the static SQLite library
# (sqlite3.a), the SQLite amalgamation and the C++ sources are build leftovers.
for gyp in node_modules/*/binding.gyp node_modules/@*/*/binding.gyp; do
  [ -f "$gyp" ] || continue
  pkg=$(dirname "$gyp")
  if [ -d "$pkg/build" ]; then
    find "$pkg/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
    find "$pkg/build/Release" -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} +
  fi
done
rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src node_modules/hnswlib-node/src

# The image runs the compiled dist/: the compiler and the type packages that a production install
# (`npm ci --omit=dev`, which compiles on install) needs are dead weight here.
rm -rf node_modules/typescript node_modules/@types node_modules/.bin/tsc node_modules/.bin/tsserver

# Source maps whose sources are not in the image, and the compiler's incremental-build state.
find node_modules dist -name '*.map' -type f -delete
rm -f dist/.tsbuildinfo
