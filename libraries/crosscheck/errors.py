"""Exceptions that read as one line in log.html: what, where, and what to do."""


class CrosscheckError(AssertionError):
    """A check or set-up step failed in a way the user can act on.

    Subclasses AssertionError so Robot Framework shows the message alone,
    without a Python traceback.
    """

    ROBOT_SUPPRESS_NAME = True


class ServiceUnavailable(CrosscheckError):
    """A configured service could not be reached."""


class ConfigurationError(CrosscheckError):
    """Input or configuration is wrong; the message names the fix."""
