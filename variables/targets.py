"""Robot variable file: see :mod:`crosscheck.variables.targets`, where the values live."""

from crosscheck.variables.targets import *  # noqa: F403
