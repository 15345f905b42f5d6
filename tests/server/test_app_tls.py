"""wss:// with a certificate and key given to the server."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
import websockets

from parley.shared import protocol as p


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_server_speaks_wss_with_the_given_certificate(launch, certificate) -> None:
    cert, key = certificate
    server = await launch(tls_cert=cert, tls_key=key)
    assert server.url.startswith("wss://")
    context = ssl.create_default_context(cafile=str(cert))
    async with websockets.connect(server.url, ssl=context) as ws:
        await ws.send(p.encode(p.Hello(id=1, versions=[1])))
        assert isinstance(p.decode_server_frame(await ws.recv()), p.Welcome)
    with pytest.raises((OSError, websockets.InvalidMessage, websockets.InvalidHandshake)):
        async with websockets.connect(f"ws://127.0.0.1:{server.port}", open_timeout=5) as ws:
            await ws.recv()
