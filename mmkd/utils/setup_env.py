# Copyright (c) mmkd contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmkd module so that it is in mmkd's registries (mmseg/mmdet have the same helper).

    ``mmengine.hub.get_model('mmkd::...')`` calls this, which is what makes ``cfg_path='mmkd::<config>'`` work inside
    mmrazor's ``SingleTeacherDistill``.

    Args:
        init_default_scope (bool): also set the default scope to ``mmkd``. Defaults to True.
    """
    import mmkd.datasets  # noqa: F401,F403
    import mmkd.deploy  # noqa: F401,F403
    import mmkd.engine  # noqa: F401,F403
    import mmkd.evaluation  # noqa: F401,F403
    import mmkd.models  # noqa: F401,F403

    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None or not DefaultScope.check_instance_created('mmkd')
        if never_created:
            DefaultScope.get_instance('mmkd', scope_name='mmkd')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmkd':
            warnings.warn(f'The current default scope "{current_scope.scope_name}" is not "mmkd", '
                          '`register_all_modules` will force the current default scope to be "mmkd".')
            new_instance_name = f'mmkd-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='mmkd')
