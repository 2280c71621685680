"""The errors whose message is meant for the user, not for a traceback.

The CLI prints any :class:`InvrlError` as one line and exits with status 2;
rules let them propagate into the job's log. Each message names the file,
key, argument or step at fault.
"""

from __future__ import annotations


class InvrlError(Exception):
    """A problem the user can fix (a bad value, a missing file); its message says which and how."""


class ConfigError(InvrlError, ValueError):
    """A configuration file, setting or override is invalid."""


class InputError(InvrlError, ValueError):
    """An argument or a parameter is outside what the computation can handle."""


class IntractableError(InputError):
    """The instance is well posed but its exact solution is too large to compute here; callers that
    only want the optimum for reference go on without it."""
