"""Exercise checks: one function per exercise, in one module per notebook (``nb01``, ``nb02``, ...).

Each check runs the learner's function on fixed inputs and raises :class:`ExerciseCheckFailed`
(an ``AssertionError``) saying exactly what differs, or prints one ``✓`` line. Notebooks call
them as ``from rnnbook.checks import nb01; nb01.check_rnn_step(rnn_step)``. Check modules are built
from the helpers re-exported here (see :mod:`rnnbook.checks._framework`).
"""

from rnnbook.checks import _framework
from rnnbook.checks._framework import *  # noqa: F403 - the helpers check modules are built from

__all__ = list(_framework.__all__)
