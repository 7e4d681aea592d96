#!/usr/bin/env bash
# Checks that the committed tree (HEAD) typechecks and lints on its own, without the uncommitted work of others
# in this working tree. Usage: bash scripts/check-head.sh [extra test files to run from HEAD]
set -euo pipefail
root=$(git rev-parse --show-toplevel)
wt=$(mktemp -d /tmp/tributary-head-XXXXXX)
trap 'git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"' EXIT
git -C "$root" worktree add -q --detach "$wt" HEAD
ln -s "$root/node_modules" "$wt/node_modules"
[ -d "$root/interop/node_modules" ] && ln -s "$root/interop/node_modules" "$wt/interop/node_modules"
cd "$wt"
export PATH="$root/node_modules/.bin:$PATH"
tsc --noEmit
biome check . >/dev/null 2>&1 || { biome check . 2>&1 | grep -E '━' | head -20; echo "HEAD: lint failed"; exit 1; }
if [ $# -gt 0 ]; then node scripts/test.ts "$@"; fi
echo "HEAD: typecheck and lint OK"
