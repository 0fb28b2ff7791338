#!/usr/bin/env bash
# What `npm test` runs: the Debian packages the real-server tests need (only what is missing),
# the lint and format check (Biome), the type check (a type error fails the run), then every
# test/**/*.test.ts file, each in a process of its own, two at a time. Exits with the test runner's status.
# usage: run-tests.sh [TEST-FILE...]   (default: all of them; `npm test -- FILE` passes files)
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/support/install-deps.sh

# Node 22 and 24 for test/node-versions.test.ts: on a fresh machine fetching them and building
# better-sqlite3 for each takes a few minutes, done here while the build and the first tests run.
# The test runs the script again, which waits for this one (flock) and then finds all in place.
if [ $# -eq 0 ]; then
  mkdir -p "${MAILROOM_TEST_CACHE:-/var/cache/mailroom-test}"
  bash test/support/other-node.sh >"${MAILROOM_TEST_CACHE:-/var/cache/mailroom-test}/other-node-prefetch.log" 2>&1 &
fi

echo "run-tests: lint and format check (npm run lint; npm run format fixes what it can)" >&2
if ! npx biome check --diagnostic-level=error . >&2; then
  echo "run-tests: the lint or format check failed; no tests were run" >&2
  exit 1
fi

echo "run-tests: build (the bundle the mailroom command runs, and the web interface)" >&2
npm run --silent build

echo "run-tests: type check (the server, the tests and the web interface)" >&2
if ! npx tsc --noEmit || ! npx tsc -p web --noEmit; then
  echo "run-tests: the type check failed; no tests were run" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  # Node 20's --test does not expand globs itself.
  mapfile -t files < <(find test -name node_modules -prune -o -type f -name '*.test.ts' -print | LC_ALL=C sort)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "run-tests: no test/**/*.test.ts files found" >&2
  exit 1
fi

# Two files at a time: most of a file's time is spent waiting for Postfix, PostgreSQL or Chromium,
# and every server a test starts has its own ports and directory. MAILROOM_TEST_CONCURRENCY=1 runs
# one file at a time (slower, and the easiest to read when a test hangs).
# The spec reporter ends with the totals ("ℹ pass N", "ℹ fail N").
exec node --import tsx --test --test-concurrency="${MAILROOM_TEST_CONCURRENCY:-2}" --test-reporter=spec "${files[@]}"
