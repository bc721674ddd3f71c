# Copyright (c) mmkd contributors. All rights reserved.
"""tools/setup_env.sh is idempotent: a second run on a set-up checkout installs nothing."""
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VENV = osp.join(REPO, '.venv')


@pytest.mark.skipif(
    not osp.isfile(osp.join(VENV, '.mmkd-stack-installed'))
    or osp.realpath(sys.prefix) != osp.realpath(VENV),
    reason='runs only inside the .venv that tools/setup_env.sh made (make test)')
def test_second_run_reinstalls_nothing():
    # The "already installed" check used $PWD after `cd /`, so it always failed and re-ran `pip install -e .`.
    env = {k: v for k, v in os.environ.items() if k != 'MMKD_VENV'}
    result = subprocess.run(['bash', 'tools/setup_env.sh'], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '[setup] ok' in result.stdout
    assert '[setup] installing' not in result.stdout, result.stdout
