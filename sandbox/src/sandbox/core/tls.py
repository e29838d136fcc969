"""A local certificate authority for the services whose clients insist on https.

simple-salesforce hard-codes https and the `pagerduty` package accepts only
https base URLs, so those services are served with TLS on loopback. The CA is
made once per data folder and kept, so a client's trust survives restarts.
The bundle written next to it is certifi's roots plus this CA: pointing
REQUESTS_CA_BUNDLE / SSL_CERT_FILE at it keeps real hosts verifiable.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path


def ensure_certificates(folder: Path) -> dict[str, Path]:
    """Create (once) the CA, the loopback server certificate and the CA bundle."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "ca": folder / "sandbox-ca.pem",
        "cert": folder / "server-cert.pem",
        "key": folder / "server-key.pem",
        "bundle": folder / "ca-bundle.pem",
    }
    if all(p.exists() for p in paths.values()):
        return paths

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Support Ops sandbox CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
                # SANDBOX_TLS_NAMES: more host names the clients use (the compose file's "sandbox").
                + [x509.DNSName(n.strip()) for n in os.environ.get("SANDBOX_TLS_NAMES", "").split(",") if n.strip()]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_pem = ca_cert.public_bytes(pem)
    paths["ca"].write_bytes(ca_pem)
    paths["cert"].write_bytes(cert.public_bytes(pem))
    paths["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths["key"].chmod(0o600)
    try:
        import certifi

        roots = Path(certifi.where()).read_bytes()
    except ImportError:  # pragma: no cover - certifi comes with requests
        roots = b""
    paths["bundle"].write_bytes(roots + b"\n" + ca_pem)
    return paths
