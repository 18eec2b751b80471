"""How the client checks an ``https://`` backend: the system's CAs, or the CA bundle a team
hands out for its own certificates (``SYNAPSE_NB_CA_BUNDLE``).

Example:
    >>> ca_verify(False), ca_verify(None, environ={})
    (False, True)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from synapse_nb.errors import InputError

CA_BUNDLE_ENV = "SYNAPSE_NB_CA_BUNDLE"


def ca_verify(verify: bool | str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None) -> bool | str:
    """What httpx gets as ``verify``: ``verify`` as given, else ``$SYNAPSE_NB_CA_BUNDLE``, else True.

    A bundle path that is not a file is an error here, not an obscure TLS failure later.
    """
    env = os.environ if environ is None else environ
    if verify is None:
        verify = env.get(CA_BUNDLE_ENV) or True
    if isinstance(verify, bool):
        return verify
    path = Path(verify).expanduser()
    if not path.is_file():
        field = "verify" if env.get(CA_BUNDLE_ENV) != str(verify) else CA_BUNDLE_ENV
        raise InputError(field, "True, False or the path of a PEM CA bundle file", got=str(verify))
    return str(path)
