# Copyright (c) mmkd contributors. All rights reserved.
"""The repository cites papers and tables, never the private names of the material it was built from, and needs
nothing outside the checkout (``../shared``) beside the optional wheel cache of ``tools/setup_env.sh``."""
import os
import os.path as osp
import re
import subprocess
from typing import List

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# Written split so that this file does not match itself.
PRIVATE_NAMES = re.compile('seeds? ' + r'00\d|shared' + '/spec', re.IGNORECASE)
# ``../shared`` may only name the set-up script's wheel cache (``../shared/wheels``).
OUTSIDE_CHECKOUT = re.compile(r'\.\./' + r'shared(?!/wheels)')
# Files that search for these names themselves.
CHECKERS = {'tests/test_packaging/test_no_private_names.py', 'tests/test_configs/test_seg_kd_tables.py'}
BINARY_SUFFIXES = ('.png', '.jpg', '.mat', '.pth', '.onnx', '.npy', '.npz', '.gz', '.zip', '.whl')


def tracked_files() -> List[str]:
    """``git ls-files`` in a checkout; every file but virtual envs and build outputs in an unpacked source tree."""
    if osp.isdir(osp.join(REPO, '.git')):
        out = subprocess.run(['git', 'ls-files'], cwd=REPO, capture_output=True, text=True, check=True).stdout
        return out.splitlines()
    skip = {'.git', '.venv', 'work_dirs', 'data', 'build', 'dist', '__pycache__', '.pytest_cache'}
    files = []
    for root, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in skip and not d.endswith('.egg-info')]
        files += [osp.relpath(osp.join(root, name), REPO) for name in names]
    return files


def offenders(pattern: re.Pattern) -> List[str]:
    found = []
    for path in tracked_files():
        if path in CHECKERS or path.endswith(BINARY_SUFFIXES) or not osp.isfile(osp.join(REPO, path)):
            continue
        with open(osp.join(REPO, path), encoding='utf-8', errors='ignore') as f:
            for number, line in enumerate(f, 1):
                if pattern.search(line):
                    found.append(f'{path}:{number}: {line.strip()[:100]}')
    return found


def test_patterns_catch_what_they_mean():
    assert PRIVATE_NAMES.search('as in ' + 'seed 003 Table 2') and PRIVATE_NAMES.search('seeds ' + '002/003')
    assert PRIVATE_NAMES.search('see ../shared' + '/spec/seg_kd.md') and not PRIVATE_NAMES.search('seed 0, seed 42')
    assert OUTSIDE_CHECKOUT.search('../shared' + '/data/bsds500_bench')
    assert not OUTSIDE_CHECKOUT.search('a wheel in ../shared' + '/wheels is used as a cache')


def test_no_private_names_in_the_repository():
    found = offenders(PRIVATE_NAMES)
    assert not found, 'cite the paper and table instead of these private names:\n' + '\n'.join(found)


def test_nothing_depends_on_files_outside_the_checkout():
    found = offenders(OUTSIDE_CHECKOUT)
    assert not found, ('copy what is needed into the repository (e.g. tests/data/) instead of reading ../shared:\n'
                       + '\n'.join(found))
