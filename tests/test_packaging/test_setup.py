# Copyright (c) mmkd contributors. All rights reserved.
"""What `pip install mmkd` puts into site-packages: only the runtime package, under the licence it states."""
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_only_mmkd_is_installed_and_python_matches_torch(tmp_path):
    # egg_info writes what a wheel would install (top_level.txt) and the metadata, without building anything.
    subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info', '--egg-base', str(tmp_path)], cwd=REPO, check=True,
                   capture_output=True)
    info = tmp_path / 'mmkd.egg-info'
    assert (info / 'top_level.txt').read_text().split() == ['mmkd']
    packages = {line.rsplit('/', 1)[0] for line in (info / 'SOURCES.txt').read_text().splitlines()
                if line.endswith('__init__.py')}
    assert not [p for p in packages if not p.startswith('mmkd')], packages
    metadata = (info / 'PKG-INFO').read_text()
    assert 'Requires-Python: >=3.10' in metadata
    assert 'License: Apache License 2.0' in metadata or 'License-Expression' in metadata or 'Apache' in metadata


def test_licence_file_is_apache_2():
    text = open(osp.join(REPO, 'LICENSE'), encoding='utf-8').read()
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text
