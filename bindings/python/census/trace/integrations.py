"""Which integrations are on (a bit mask), as opencensus.trace.integrations."""

import threading

_INTEGRATIONS_BIT_MASK = 0
_INTEGRATIONS_LOCK = threading.Lock()


class _Integrations:
    NONE = 0
    DJANGO = 1
    FLASK = 2
    GOOGLE_CLOUD = 4
    HTTP_LIB = 8
    LOGGING = 16
    MYSQL = 32
    POSTGRESQL = 64
    PYMONGO = 128
    PYMYSQL = 256
    PYRAMID = 512
    REQUESTS = 1024
    SQLALCHEMY = 2056
    URLLIB3 = 4096
    WSGI = 8192
    ASGI = 16384
    HTTPX = 16777216
    FASTAPI = 4194304


def get_integrations():
    """The bit mask of integrations turned on."""
    return _INTEGRATIONS_BIT_MASK


def add_integration(integration):
    """Sets an integration's bit."""
    global _INTEGRATIONS_BIT_MASK
    with _INTEGRATIONS_LOCK:
        _INTEGRATIONS_BIT_MASK |= integration


def remove_intregration(integration):
    """Clears an integration's bit (opencensus-python's spelling)."""
    global _INTEGRATIONS_BIT_MASK
    with _INTEGRATIONS_LOCK:
        _INTEGRATIONS_BIT_MASK &= ~integration
