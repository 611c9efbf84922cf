"""The TLS options every Larder client takes under the same names: LarderClient's keywords
here, the C++ ClientOptions fields (client/client_options.h) and larderctl's flags (--tls,
--ca-file, --cert-file, --key-file, --server-name), with the same environment variables.
"""
import os
import warnings

ENVIRONMENT = {
    "tls": "LARDER_TLS",
    "ca_file": "LARDER_CA_FILE",
    "cert_file": "LARDER_CERT_FILE",
    "key_file": "LARDER_KEY_FILE",
    "server_name": "LARDER_SERVER_NAME",
}

# Keywords of earlier releases (PEM bytes, not paths) -> the option that replaces them.
DEPRECATED = {
    "root_certificates": "ca_file",
    "client_certificate": "cert_file",
    "client_private_key": "key_file",
    "authority_override": "server_name",
}


class TlsSettings:
    """What a channel needs: enabled, the PEM bytes (None: unset) and the server name."""

    def __init__(self, enabled, ca, cert, key, server_name):
        self.enabled = enabled
        self.ca = ca
        self.cert = cert
        self.key = key
        self.server_name = server_name


def _read(path, option):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ValueError(f"cannot read {option} {path}: {e.strerror}") from None


def resolve(tls=None, ca_file=None, cert_file=None, key_file=None, server_name=None,
            deprecated=None, environ=None) -> TlsSettings:
    """Resolves the options: an argument left None is read from its environment variable;
    files are read now (ValueError naming the option when one cannot be); ca_file or
    cert_file turn TLS on. `deprecated` holds the old keywords (PEM bytes / a name) given."""
    environ = os.environ if environ is None else environ
    deprecated = {k: v for k, v in (deprecated or {}).items() if v is not None}
    for old, new in DEPRECATED.items():
        if old in deprecated:
            warnings.warn(f"LarderClient({old}=...) is deprecated: use {new}=",
                          DeprecationWarning, stacklevel=3)
    if tls is None:
        tls = environ.get(ENVIRONMENT["tls"], "").strip().lower() in ("1", "true", "yes")
    if ca_file is None:
        ca_file = environ.get(ENVIRONMENT["ca_file"]) or None
    if cert_file is None:
        cert_file = environ.get(ENVIRONMENT["cert_file"]) or None
    if key_file is None:
        key_file = environ.get(ENVIRONMENT["key_file"]) or None
    if server_name is None:
        server_name = environ.get(ENVIRONMENT["server_name"]) or None

    def pick(option, path, old):
        if path and old in deprecated:
            raise ValueError(f"give {option} or {old}, not both")
        if path:
            return _read(path, option)
        return deprecated.get(old)

    ca = pick("ca_file", ca_file, "root_certificates")
    cert = pick("cert_file", cert_file, "client_certificate")
    key = pick("key_file", key_file, "client_private_key")
    if (cert is None) != (key is None):
        raise ValueError("a client certificate needs its key: give cert_file and key_file "
                         "together")
    if server_name and "authority_override" in deprecated:
        raise ValueError("give server_name or authority_override, not both")
    server_name = server_name or deprecated.get("authority_override")
    enabled = bool(tls) or ca is not None or cert is not None
    return TlsSettings(enabled, ca, cert, key, server_name)
