"""Certificates for the TLS tests, made with the openssl command line (Debian's openssl).

`openssl ca` signs every leaf: unlike `openssl x509 -req` on OpenSSL 3.0 it takes explicit
-startdate/-enddate, which is how a certificate that has already expired is made.
"""
import os
import subprocess

_CONFIG = """
[ca]
default_ca = larder_test_ca
[larder_test_ca]
database = {dir}/{ca}.index
new_certs_dir = {dir}/{ca}.issued
rand_serial = yes
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
[any_name]
commonName = supplied
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
"""


class Pki:
    """Makes CAs and the certificates they sign as PEM files in `directory`."""

    def __init__(self, directory):
        self.dir = directory

    def path(self, name):
        return os.path.join(self.dir, name)

    def _openssl(self, *args):
        result = subprocess.run(["openssl", *args], capture_output=True, text=True,
                                cwd=self.dir)
        if result.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(args)} failed: {result.stderr}")

    def _new_key(self, name):
        self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-out", self.path(f"{name}.key"))
        return self.path(f"{name}.key")

    def ca(self, name):
        """A self-signed CA: returns (cert path, key path)."""
        key = self._new_key(name)
        self._openssl("req", "-x509", "-new", "-key", key, "-out", self.path(f"{name}.pem"),
                      "-days", "2", "-subj", f"/CN={name}", "-addext",
                      "basicConstraints=critical,CA:TRUE", "-addext",
                      "keyUsage=critical,keyCertSign,cRLSign")
        with open(self.path(f"{name}.cnf"), "w") as f:
            f.write(_CONFIG.format(dir=self.dir, ca=name))
        open(self.path(f"{name}.index"), "w").close()
        os.makedirs(self.path(f"{name}.issued"), exist_ok=True)
        return self.path(f"{name}.pem"), key

    def issue(self, ca, name, common_name, usage, start=None, end=None):
        """A certificate for `common_name` signed by CA `ca` (usage: "server" or "client");
        start/end as YYYYMMDDHHMMSSZ (default: valid now for a day). Returns (cert, key)."""
        key = self._new_key(name)
        csr = self.path(f"{name}.csr")
        self._openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={common_name}")
        dates = ["-days", "1"] if start is None else ["-startdate", start, "-enddate", end]
        self._openssl("ca", "-batch", "-notext", "-config", self.path(f"{ca}.cnf"), "-cert",
                      self.path(f"{ca}.pem"), "-keyfile", self.path(f"{ca}.key"), "-in", csr,
                      "-out", self.path(f"{name}.pem"), "-extensions", usage, *dates)
        return self.path(f"{name}.pem"), key


def read(path):
    with open(path, "rb") as f:
        return f.read()
