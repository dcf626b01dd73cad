# Sourced by scripts/test: command-line tools some tests call, installed with apt when
# missing (as root, or through sudo), the way postgres.sh installs PostgreSQL.

# The tests validate our pain.001 against the official ISO 20022 schema with xmllint.
ensure_xmllint() {
  command -v xmllint >/dev/null 2>&1 && return 0
  echo "==> xmllint is not installed; installing libxml2-utils with apt-get" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libxml2-utils >/dev/null
  command -v xmllint >/dev/null 2>&1 || { echo "cannot install libxml2-utils (xmllint)" >&2; return 1; }
}
