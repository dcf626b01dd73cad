# Sourced by scripts/test and scripts/bench: starts a throwaway PostgreSQL on a free
# loopback port in a temporary directory (installing PostgreSQL with apt when missing),
# exports PG_URL (the `postgres` database on it) and stops it on exit.

find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

start_throwaway_postgres() {
  pg_bin=$(find_pg_bin) || {
    echo "==> PostgreSQL is not installed; installing it with apt-get" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    pg_bin=$(find_pg_bin) || { echo "cannot install PostgreSQL" >&2; return 1; }
  }
  pg_dir=$(mktemp -d /tmp/smallchange-pg.XXXXXX)
  chmod 755 "$pg_dir"
  as_pg=()
  # As root, initdb and postgres must run as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$pg_dir"
    as_pg=(runuser -u postgres --)
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  trap stop_throwaway_postgres EXIT
  echo "==> starting PostgreSQL ($pg_bin) on 127.0.0.1:$port" >&2
  "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-locale >"$pg_dir/initdb.log" 2>&1 \
    || { cat "$pg_dir/initdb.log" >&2; return 1; }
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 start \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=256MB" >/dev/null \
    || { cat "$pg_dir/server.log" >&2; return 1; }
  export PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_throwaway_postgres() {
  [ -n "${pg_dir:-}" ] || return 0
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$pg_dir"
}
