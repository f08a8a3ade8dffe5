#!/usr/bin/env bash
# The install from git that docs/install.md gives before the first release: `npm install git+file://<this
# repository>#<HEAD>` in a fresh project, outside the repository. npm clones the commit, installs its
# devDependencies, runs `prepare` (the build) and installs the packed result; this checks that the installed
# package has its dist/, imports in plain Node, and carries no src/. It installs the committed HEAD, not the
# working tree, so it is a release-checklist step (docs/releasing.md) rather than part of test/consumer/run.sh
# (a CI checkout may have no .git). About a minute with a warm npm cache. Run: bash test/consumer/git_install.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
commit=$(git -C "$repo" rev-parse HEAD)
work=$(mktemp -d "${TMPDIR:-/tmp}/aevb-git-install.XXXXXX")
case "$work/" in "$repo"/*) echo "git install test: $work is inside the repository; set TMPDIR elsewhere" >&2; exit 1 ;; esac
trap 'rm -rf "$work"' EXIT
cache="${AEVB_NPM_CACHE:-$HOME/.cache/aevb-consumer-npm}"
cd "$work"
echo '{ "name": "aevb-consumer-git", "private": true, "type": "module" }' > package.json
echo "== npm install git+file://$repo#$commit"
timeout 600 npm install --cache "$cache" --prefer-offline --no-audit --no-fund --loglevel=error "git+file://$repo#$commit"
[ -s node_modules/aevb/dist/index.node.js ] && [ -s node_modules/aevb/dist/aevb.browser.js ] ||
  { echo "the git install has no dist/: prepare did not build it" >&2; exit 1; }
[ ! -e node_modules/aevb/src ] || { echo "the git install carries src/" >&2; exit 1; }
node --input-type=module -e "
  const aevb = await import('aevb');
  if (typeof aevb.Trainer !== 'function' || typeof aevb.readCheckpoint !== 'function') throw new Error('aevb imported without its exports');
  console.log('git install of ' + '$commit'.slice(0, 7) + ': dist/ built by prepare, ' + Object.keys(aevb).length + ' exports, no src/');"
