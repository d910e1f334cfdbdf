"""mutagrad's own exceptions. Library code raises them; only the CLI turns them into exit codes."""


class MutagradError(Exception):
    """Bad input: a file, a field, an option or a model that breaks the protocol (CLI exit code 2)."""


class ProtocolError(MutagradError):
    """A model file or function that does not follow the `mutagrad check` protocol."""


class CatalogError(MutagradError):
    """A catalog entry that is malformed: the message names the file, line and field."""


class InconclusiveWarning(UserWarning):
    """A gradient check that found nothing wrong but could not judge everything (not a pass)."""


class UserCodeError(Exception):
    """The code under check raised; carries a one-line message with the file and line."""

    def __init__(self, message, where=None):
        super().__init__(message if where is None else f"{message} ({where})")
        self.where = where
