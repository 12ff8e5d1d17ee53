# Sourced by scripts/run and scripts/test: creates .venv and installs the project into it once,
# again only when pyproject.toml changes. Usage: bootstrap "<extras>".
bootstrap() {
  local extras="$1"
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Failure Resume needs Python 3.11 or newer as python3 (found: $(python3 --version 2>&1))." >&2
    exit 2
  fi
  VENV="${VENV:-.venv}"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  local stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)-${extras//,/-}"
  if [ ! -f "$stamp" ]; then
    echo "Installing Failure Resume and its dependencies into $VENV ..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    touch "$stamp"
  fi
}
