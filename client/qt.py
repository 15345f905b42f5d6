"""The one place the client imports Qt from (qutebrowser's ``qt`` module, in small).

Keeping the binding behind one module means a switch of binding, or a shim for a
missing class, touches one file; the rest of the client says ``from parley.client.qt
import QtCore, QtGui, QtWidgets``.
"""

from __future__ import annotations

import ctypes
import sys
from typing import TypeVar

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal, Slot


def _keep_none_alive() -> None:
    """Work around PySide6 6.12 on CPython 3.11: every call of a Qt method returning void
    (``processEvents``, ``setValue``, ...) drops one reference to ``None`` it never took,
    so a long session dies with "Fatal Python error: deallocating None". Python 3.12
    made None immortal; on 3.11 give it a reference count no session can exhaust.
    """
    if sys.version_info < (3, 12) and sys.implementation.name == "cpython":
        refcount = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is PyObject's 1st field
        refcount.value += 1 << 40


_keep_none_alive()

ObjectT = TypeVar("ObjectT", bound=QtCore.QObject)


def named(obj: ObjectT, name: str) -> ObjectT:
    """Set the object name (what the style sheet and tests select by) and return it."""
    obj.setObjectName(name)
    return obj


__all__ = ["Qt", "QtCore", "QtGui", "QtWidgets", "Signal", "Slot", "named"]
