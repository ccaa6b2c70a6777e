"""Errors raised by the data readers."""

from __future__ import annotations


class DatasetError(ValueError):
    """A data file is malformed, inconsistent or unreadable.

    The message always names the file, and where it helps the record and the
    field, together with what was expected.
    """


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are neither on disk nor downloadable.

    The message names the missing files, their URLs and the folder to put them in.
    """
