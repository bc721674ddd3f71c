# Copyright (c) mmkd contributors. All rights reserved.
"""requirements/lock.txt pins every package the set-up installs, and the set-up installs through it."""
import os.path as osp
import re
from typing import Dict

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REQ = osp.join(REPO, 'requirements')
NAME = re.compile(r'^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$')


def canonical(name: str) -> str:
    """PEP 503 name: case, '_' and '.' do not matter to pip."""
    return re.sub(r'[-_.]+', '-', name).lower()


def requirements(path: str) -> Dict[str, str]:
    """name -> version specifier (possibly empty) of each requirement line, comments skipped."""
    found = {}
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                name, spec = NAME.match(line).groups()
                found[canonical(name)] = spec.strip()
    return found


def test_lock_pins_everything_exactly():
    lock = requirements(osp.join(REQ, 'lock.txt'))
    assert len(lock) > 50, 'the lock holds the whole environment, indirect packages included'
    loose = [f'{name}{spec}' for name, spec in lock.items() if not re.fullmatch(r'==[0-9][0-9A-Za-z.]*', spec)]
    assert not loose, f'requirements/lock.txt: every line must be name==version, not {loose}'
    assert 'mmkd' not in lock and 'pip' not in lock
    # What tools/setup_env.sh pins itself and builds first.
    assert lock['torch'] == '==2.13.0' and lock['mmcv'] == '==2.1.0'
    assert lock['setuptools'].startswith('==69.'), 'mmcv 2.1.0 needs pkg_resources (setuptools<70)'


def test_every_requirement_has_a_matching_pin():
    lock = requirements(osp.join(REQ, 'lock.txt'))
    for txt in ('runtime.txt', 'det.txt', 'tests.txt', 'no_deps.txt'):
        for name, spec in requirements(osp.join(REQ, txt)).items():
            assert name in lock, f'requirements/{txt}: {name} has no pin in requirements/lock.txt (run `make lock`)'
            if spec.startswith('=='):
                assert lock[name] == spec, f'requirements/{txt} says {name}{spec}, the lock {name}{lock[name]}'


def test_one_opencv_and_the_set_up_uses_the_lock():
    lock = requirements(osp.join(REQ, 'lock.txt'))
    runtime = requirements(osp.join(REQ, 'runtime.txt'))
    assert 'opencv-python' in runtime and 'opencv-python-headless' not in runtime
    assert 'opencv-python-headless' not in lock, 'both OpenCV wheels write the same cv2 folder: keep opencv-python'
    script = open(osp.join(REPO, 'tools', 'setup_env.sh')).read()
    assert 'LOCK=(-c requirements/lock.txt)' in script
    # Every pip install but mmkd's own editable one (--no-deps) is constrained by the lock.
    installs = [line for line in script.splitlines()
                if re.search(r'"\$\{PIP\[@\]\}" install', line) and '-e .' not in line]
    assert len(installs) == 5 and all('LOCK' in line for line in installs), installs


def test_mmdet_is_the_det_extra_and_the_set_up_still_installs_it():
    """Segmentation and edge need no mmdet (tests/test_packaging/test_without_mmdet.py): it is in det.txt, the
    ``det`` extra of setup.py, which the set-up and the Docker image install with the rest."""
    runtime, det = requirements(osp.join(REQ, 'runtime.txt')), requirements(osp.join(REQ, 'det.txt'))
    assert 'mmdet' not in runtime and det['mmdet'] == '==3.3.0'
    assert {'mmsegmentation', 'mmrazor', 'mmengine'} <= set(runtime)
    setup = open(osp.join(REPO, 'setup.py')).read()
    assert "'det': parse_requirements('requirements/det.txt')" in setup
    for script in ('tools/setup_env.sh', 'docker/Dockerfile'):
        text = open(osp.join(REPO, script)).read()
        assert '-r requirements/det.txt' in text, f'{script} must install requirements/det.txt'
    assert '[ requirements/det.txt -nt "$STAMP" ]' in open(osp.join(REPO, 'tools', 'setup_env.sh')).read()
