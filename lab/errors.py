"""The lab's one error for its users: bad input or a missing piece, said in one line, without a traceback.

On the ground floor with lab.config: the seeders, the stack and the command line all raise it, and
`lab`'s command line (lab.cli) prints it.
"""


class UsageError(Exception):
    """A problem with the user's input or environment, reported as one line without a traceback."""
