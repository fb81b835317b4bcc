"""Robot variable file: see :mod:`crosscheck.variables.channels`, where the values live."""

from crosscheck.variables.channels import *  # noqa: F403
