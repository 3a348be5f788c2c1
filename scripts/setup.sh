#!/usr/bin/env bash
# Creates .venv with Python 3.12 (the Lambda runtime) and installs the runtime and development
# dependencies. Safe to run again: it reinstalls only when a requirements file changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python=$(find_python) || { echo "setup: Python 3.12 not found (set PYTHON=/path/to/python3.12)" >&2; exit 1; }
  echo "setup: creating .venv with $python"
  "$python" -m venv .venv
fi

# pip_install STEP ARGS...: pip install ARGS, showing progress (each package as pip collects it: one line that
# updates in a terminal, a line per package otherwise; "still installing" every 5 s that pip is quiet, as it
# is while it installs) and the time taken; pip's full output goes to .venv/setup.log, whose end is shown if
# pip fails.
pip_install() {
  local step=$1 log=.venv/setup.log started=$SECONDS count=0 line name status ticker
  shift
  echo "setup: $step"
  : > "$log"
  (
    last=0
    while sleep 5; do
      size=$(wc -c < "$log")
      [ "$size" = "$last" ] && echo "setup:   still installing ($((SECONDS - started)) s)"
      last=$size
    done
  ) &
  ticker=$!
  set +e
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off "$@" 2>&1 | while IFS= read -r line; do
    printf '%s\n' "$line" >> "$log"
    case $line in
      Collecting*|Obtaining*|Requirement\ already\ satisfied:*)
        count=$((count + 1))
        name=${line#* }; name=${name#already satisfied: }; name=${name%% *}
        if [ -t 1 ]; then printf '\rsetup:   %3d  %-60.60s' "$count" "$name"; else echo "setup:   $count $name"; fi ;;
      Installing\ collected\ packages:*)
        [ -t 1 ] && printf '\r%-78s\r' ''
        echo "setup:   installing, packages: $(printf '%s\n' "${line#*: }" | awk -F', ' '{print NF}')" ;;
    esac
  done
  status=${PIPESTATUS[0]}
  kill "$ticker" 2>/dev/null
  wait "$ticker" 2>/dev/null
  set -e
  [ -t 1 ] && printf '\r%-78s\r' ''
  if [ "$status" -ne 0 ]; then
    tail -30 "$log" >&2
    echo "setup: pip failed ($step); full output in $log" >&2
    exit "$status"
  fi
  echo "setup:   done in $((SECONDS - started)) s"
}

stamp=.venv/.requirements.sha256
wanted=$(cat requirements-dev.txt src/requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "setup: installing dependencies (the first run takes a minute or more)"
  pip_install "[1/3] pip itself" --upgrade pip
  pip_install "[2/3] requirements-dev.txt (the Lambda runtime, test and local tools)" -r requirements-dev.txt
  pip_install "[3/3] connect-omni, editable (importable by the localdev commands)" --no-deps -e .
  echo "$wanted" > "$stamp"
fi
