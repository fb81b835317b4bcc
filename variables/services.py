"""Robot variable file: see :mod:`crosscheck.variables.services`, where the values live."""

from crosscheck.variables.services import get_variables  # noqa: F401
