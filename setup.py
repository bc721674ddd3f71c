# Copyright (c) mmkd contributors. All rights reserved.
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    scope: dict = {}
    with open(osp.join('mmkd', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'mmkd/version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    with open(fname, encoding='utf-8') as f:
        return [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]


def add_mim_extension() -> None:
    """Expose ``configs/``, ``tools/`` and ``model-index.yml`` as ``mmkd/.mim/`` (as mmseg does).

    That is what makes ``mmkd::path/to/config.py`` resolve in ``_base_`` and in mmrazor's ``cfg_path``. Editable
    installs get symlinks; wheels get copies.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'install')):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(osp.dirname(osp.abspath(__file__)), 'mmkd', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src = osp.join(osp.dirname(osp.abspath(__file__)), name)
        target = osp.join(mim_path, name)
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), target)
        elif osp.isfile(src):
            shutil.copyfile(src, target)
        else:
            shutil.copytree(src, target)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmkd',
        version=get_version(),
        description='Knowledge distillation for dense prediction (segmentation, detection, edges) on OpenMMLab',
        long_description=readme(),
        long_description_content_type='text/markdown',
        license_files=('LICENSE', ),
        license='Apache License 2.0',
        # Only the runtime package: `exclude` matches whole dotted names, so subpackages need their own pattern (a plain
        # 'tests' left tests.helpers etc. to be installed as a top-level `tests` package).
        packages=find_packages(include=('mmkd', 'mmkd.*')),
        include_package_data=True,
        package_data={'mmkd': ['.mim/model-index.yml', '.mim/configs/**/*', '.mim/tools/**/*']},
        python_requires='>=3.10',  # torch 2.13's own minimum,
        install_requires=parse_requirements('requirements/runtime.txt'),
        # detection needs mmdet; segmentation and edge do not (README, 'Install: what each task needs')
        extras_require={'det': parse_requirements('requirements/det.txt'),
                        'tests': parse_requirements('requirements/tests.txt')},
        zip_safe=False)
