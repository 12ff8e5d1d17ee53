# Sourced by scripts/run and scripts/test: creates .venv and installs the project into it once,
# again only when pyproject.toml changes. Usage: bootstrap "<extras>".
bootstrap() {
  local extras="$1"
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Failure Resume needs Python 3.11 or newer as python3 (found: $(python3 --version 2>&1))." >&2
    exit 2
  fi
  VENV="${VENV:-.venv}"
  if [ ! -x "$VENV/bin/python" ] && ! python3 -m venv "$VENV"; then
    echo "Could not create a virtual environment. On Debian or Ubuntu: sudo apt install python3-venv" >&2
    exit 2
  fi
  local digest
  digest=$(python3 -c 'import hashlib, sys; print(hashlib.sha1(open(sys.argv[1], "rb").read()).hexdigest()[:12])' pyproject.toml)
  local stamp="$VENV/.installed-$digest-${extras//,/-}"
  if [ ! -f "$stamp" ]; then
    echo "Installing Failure Resume and its dependencies into $VENV ..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    touch "$stamp"
  fi
}
