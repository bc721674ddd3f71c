# Copyright (c) mmkd contributors. All rights reserved.
__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Parse ``'0.1.0'`` (or ``'0.1.0rc1'``) into ``(0, 1, 0)`` / ``(0, 1, 0, 'rc1')``."""
    parts = []
    for token in version_str.split('.'):
        if token.isdigit():
            parts.append(int(token))
        else:
            number = ''.join(ch for ch in token if ch.isdigit())
            parts.append(int(number) if number else 0)
            parts.append(token[len(number):])
    return tuple(parts)


version_info = parse_version_info(__version__)
