"""HTTPS: ``serve --certfile --keyfile`` with a certificate of a CA made here (trustme);
clients trust it through ``verify=`` or SYNAPSE_NB_CA_BUNDLE, and refuse it otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from pydantic import ValidationError

from synapse_nb.api import Api
from synapse_nb.errors import BackendError, InputError
from synapse_nb.server import BackgroundServer, ServerConfig


@pytest.fixture(scope="module")
def ca_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    cert.private_key_pem.write_to_path(str(files["key"]))
    cert.cert_chain_pems[0].write_to_path(str(files["cert"]))
    for pem in cert.cert_chain_pems[1:]:
        with open(files["cert"], "ab") as handle:
            handle.write(pem.bytes())
    return files


@pytest.fixture(scope="module")
def https_backend(tmp_path_factory: pytest.TempPathFactory, ca_files: dict[str, Path]) -> Iterator[BackgroundServer]:
    config = ServerConfig(home=tmp_path_factory.mktemp("tls-home"), port=0, certfile=ca_files["cert"], keyfile=ca_files["key"])
    with BackgroundServer(config) as server:
        yield server


def test_the_backend_serves_https(https_backend: BackgroundServer, ca_files: dict[str, Path]) -> None:
    assert https_backend.url.startswith("https://127.0.0.1:")
    with Api(https_backend.url, https_backend.token, verify=str(ca_files["ca"])) as api:
        assert api.health() == {"status": "ok"}
        assert api.project.create("over-tls").name == "over-tls"


def test_a_certificate_of_an_unknown_ca_is_refused(https_backend: BackgroundServer) -> None:
    with Api(https_backend.url, https_backend.token, retries=0) as api, pytest.raises(BackendError) as refused:
        api.server_info()
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value) or "certificate" in str(refused.value).lower()


def test_the_ca_bundle_comes_from_the_environment(https_backend: BackgroundServer, ca_files: dict[str, Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_NB_URL", https_backend.url)
    monkeypatch.setenv("SYNAPSE_NB_TOKEN", https_backend.token)
    monkeypatch.setenv("SYNAPSE_NB_CA_BUNDLE", str(ca_files["ca"]))
    with Api.from_env(start_agent=False) as api:
        assert api.verify == str(ca_files["ca"])
        assert api.server_info().pid > 0


def test_a_missing_bundle_or_half_a_key_pair_is_named(tmp_path: Path, ca_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_NB_CA_BUNDLE", str(tmp_path / "nope.pem"))
    with pytest.raises(InputError, match="SYNAPSE_NB_CA_BUNDLE"):
        Api("https://127.0.0.1:1", "t")
    with pytest.raises(ValidationError, match="keyfile"):
        ServerConfig(home=tmp_path, certfile=ca_files["cert"])
