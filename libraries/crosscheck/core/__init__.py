"""What every crosscheck library is built from: the library base, keyword components, cleanup.

See ``docs/architecture.md``. Nothing here knows a service or a library by name.
"""

from crosscheck.core.cleanup import Cleanup, CleanupListener
from crosscheck.core.component import Component
from crosscheck.core.library import CrosscheckLibrary

__all__ = ["Cleanup", "CleanupListener", "Component", "CrosscheckLibrary"]
