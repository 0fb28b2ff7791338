#!/usr/bin/env bash
# npm run bench: installs what the benchmarks need (Postfix's smtp-sink and smtp-source) when
# missing, then runs them. Not part of npm test: figures are compared, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/support/install-deps.sh
npm run --silent build
node --import tsx bench/outbox.ts
node --import tsx bench/events.ts
node --import tsx bench/share-mail.ts
node --import tsx bench/notify.ts
node --import tsx bench/digest.ts
node --import tsx bench/latency.ts
node --import tsx bench/postgres.ts
