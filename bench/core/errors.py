"""Errors the command line turns into a one-line message and a non-zero exit."""


class BenchError(Exception):
    """A user-facing error: bad input, missing data, unavailable device, ..."""


def choices(items) -> str:
    return ", ".join(sorted(items))
