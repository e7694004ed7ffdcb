"""Guard against PySide6 6.12.0's leak of references to None on Python 3.11.

Every call returning nothing dropped one reference to None; after a few thousand the interpreter
died with "Fatal Python error: none_dealloc". pyproject.toml pins PySide6 below 6.12 for it.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def test_twenty_thousand_void_calls_keep_none_alive(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for n in range(20_000):
        label.setText(str(n))
        label.setEnabled(n % 2 == 0)
    after = sys.getrefcount(None)
    # Immortal None (Python >= 3.12) reports a huge constant; 3.11 must not lose 40,000 refs.
    assert after >= before - 100, f"None lost {before - after} references"
    assert label.text() == "19999"
