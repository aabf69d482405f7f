#!/usr/bin/env bash
# Run one Meltano job (feed) unless the same feed is already running.
#
#   orchestrate/cron/run-feed.sh <job> [<meltano run options>...]
#
# Why: cron fires `@hourly` feeds whether or not the previous run has finished;
# two copies of one feed would read the same state and write the same
# documents. `flock -n` on a lock file per feed makes the second copy exit at
# once (exit 0, one line on stderr) while the first holds the lock; other
# feeds have their own lock and are not blocked. The kernel drops the lock
# when the process ends, even on a crash, so no stale lock survives.
#
# Environment: MELTANO_BIN (default: the project's .venv/bin/meltano),
# FEED_LOCK_DIR (default: <project>/.meltano/run/feed-locks).
set -euo pipefail

job="${1:?usage: run-feed.sh <job> [meltano run options]}"
shift
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
meltano="${MELTANO_BIN:-$project/.venv/bin/meltano}"
lock_dir="${FEED_LOCK_DIR:-$project/.meltano/run/feed-locks}"
mkdir -p "$lock_dir"

exec 9>"$lock_dir/$job.lock"
if ! flock -n 9; then
  echo "run-feed: $job is already running (lock $lock_dir/$job.lock held); skipped" >&2
  exit 0
fi
cd "$project"
"$meltano" run "$job" "$@"
