#!/usr/bin/env bash
# Starts the MongoDB-compatible test server (../shared/tools/mongo-compatible-server/start) and
# prints its exports: eval "$(scripts/mongo-test-server.sh)".
#
# Workaround, to delete once the shared start script no longer needs it: that script (FerretDB 2.5
# on PostgreSQL 15 + DocumentDB) builds DocumentDB's pg_documentdb_core but installs only
# pg_documentdb, so on a fresh machine PostgreSQL cannot preload it ("could not access file
# "pg_documentdb_core""). When that is the failure, this installs the core extension from the start
# script's own build cache, with the same flags, and tries once more.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
starter=${MONGO_COMPAT_START:-$repo/../shared/tools/mongo-compatible-server/start}
pg_config=/usr/lib/postgresql/15/bin/pg_config
err=$(mktemp)
trap 'rm -f "$err"' EXIT

if [ ! -x "$starter" ]; then
  echo "mongo-test-server: no $starter (set MONGODB_URI to use another MongoDB server)" >&2
  exit 1
fi
if "$starter" 2>"$err"; then exit 0; fi

if grep -q 'pg_documentdb_core' "$err"; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/mongo-compatible-server
  core=$(ls -d "$cache"/ext-*/src/documentdb/pg_documentdb_core 2>/dev/null | head -n 1)
  if [ -n "$core" ]; then
    ext=$(cd "$core/../../.." && pwd)
    echo "mongo-test-server: installing DocumentDB's pg_documentdb_core, built but not installed by $starter" >&2
    if PKG_CONFIG_PATH="$ext/pkgconfig" make -C "$core" install with_llvm=no PG_CONFIG="$pg_config" \
         COPT='-DBSON_SUBTYPE_SENSITIVE=0x08 -Wno-error=switch' >"$ext/core-install.log" 2>&1; then
      if "$starter" 2>"$err"; then exit 0; fi
    else
      echo "mongo-test-server: installing pg_documentdb_core failed; see $ext/core-install.log" >&2
    fi
  fi
fi
cat "$err" >&2
exit 1
