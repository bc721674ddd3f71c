# Copyright (c) mmkd contributors. All rights reserved.
"""Model-agnostic task modules (as mmrazor files its pruning under ``models/task_modules``).

Not imported by ``mmkd.models``: nothing here is registered, and channel pruning pulls in scikit-learn, which
``import mmkd`` should not pay for. Import ``mmkd.models.task_modules.pruning`` where it is used.
"""
