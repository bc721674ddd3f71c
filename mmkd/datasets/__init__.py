# Copyright (c) mmkd contributors. All rights reserved.
