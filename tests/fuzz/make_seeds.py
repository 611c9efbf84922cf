#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

The seeds are checked in; rerun this after changing a request proto or a fuzz target's input
format (docs/fuzzing.md). Needs python3-protobuf and protoc:
  tests/fuzz/make_seeds.py            (from the repository root)
"""
import hashlib
import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
corpus = os.path.join(root, "tests/fuzz/corpus")


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    directory = os.path.join(corpus, target)
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def fill(message, depth=0):
    """Sets every field of `message` to a plausible value (a project, a name, one element)."""
    from google.protobuf.descriptor import FieldDescriptor as F
    for field in message.DESCRIPTOR.fields:
        if depth > 4:
            return
        value = None
        if field.type == F.TYPE_STRING:
            value = {"project": "demo", "name": "driver"}.get(field.name, field.name)
        elif field.type == F.TYPE_BOOL:
            value = True
        elif field.type in (F.TYPE_INT32, F.TYPE_INT64, F.TYPE_UINT32, F.TYPE_UINT64):
            value = 1
        elif field.type == F.TYPE_ENUM:
            value = field.enum_type.values[-1].number
        elif field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
            value = 1.0
        elif field.type == F.TYPE_BYTES:
            value = b"x"
        if field.type == F.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                continue
            if field.label == F.LABEL_REPEATED:
                fill(getattr(message, field.name).add(), depth + 1)
            else:
                fill(getattr(message, field.name), depth + 1)
        elif field.label == F.LABEL_REPEATED:
            getattr(message, field.name).append(value)
        elif field.containing_oneof is None or not message.WhichOneof(field.containing_oneof.name):
            setattr(message, field.name, value)


def service_seeds():
    with tempfile.TemporaryDirectory() as gen:
        protos = []
        for top in ("feast", "grpc", "google", "larder"):
            for directory, _, files in os.walk(os.path.join(root, "proto", top)):
                protos += [os.path.relpath(os.path.join(directory, f), os.path.join(root, "proto"))
                           for f in files if f.endswith(".proto")]
        subprocess.run(["protoc", "-I", ".", f"--python_out={gen}", *protos],
                       cwd=os.path.join(root, "proto"), check=True)
        sys.path.insert(0, gen)
        from google.protobuf import message_factory
        from feast.registry import RegistryServer_pb2
        from larder.v1 import registry_pb2
        for module in (RegistryServer_pb2, registry_pb2):
            for service in module.DESCRIPTOR.services_by_name.values():
                for method in service.methods:
                    request_class = message_factory.MessageFactory().GetPrototype(method.input_type)
                    empty = request_class()
                    write("service_fuzzer", method.name.encode() + b"\0" + empty.SerializeToString())
                    full = request_class()
                    try:
                        fill(full)
                    except (TypeError, ValueError):
                        pass
                    write("service_fuzzer", method.name.encode() + b"\0" + full.SerializeToString())
                    # Feast's demo names, so writes and reads meet the same objects.
                    fields = request_class.DESCRIPTOR.fields_by_name
                    string = 9  # FieldDescriptor.TYPE_STRING
                    if "project" in fields and fields["project"].type == string:
                        named = request_class()
                        named.project = "demo"
                        if "name" in fields and fields["name"].type == string:
                            named.name = "driver"
                        write("service_fuzzer", method.name.encode() + b"\0" + named.SerializeToString())


def main():
    service_seeds()
    for header in ["Bearer abc.def.ghi", "bearer token", "BEARER  spaced", "Basic dXNlcjpwYXNz",
                   "Bearer", "Bearer a b", "", " Bearer x", "Bearer\ttab"]:
        write("bearer_fuzzer", header)
    write("static_tokens_fuzzer", "# comment\nsecret-1 alice roles=reader,writer groups=ml namespaces=demo\n"
                                  "\nsecret-2 bob\n")
    write("static_tokens_fuzzer", "tok carol roles=admin\n")
    write("static_tokens_fuzzer", "tok dave roles=a roles=b\n")
    write("static_tokens_fuzzer", "tok\n")
    write("static_tokens_fuzzer", "t1 a\nt1 b\n")
    for url in ["sqlite:///larder.db", "sqlite:////var/lib/larder/larder.db", "/abs/x.db", "x.db",
                "postgresql://user:pass@host:5432/db", "postgres://u@127.0.0.1/db?sslmode=require",
                "postgresql://u:p%40ss@[::1]:5432/db", "mysql://larder:larder@127.0.0.1:3306/larder",
                "mariadb://u:p@h/db", "mysql://u@h:99999/db", "ftp://x", "postgresql://"]:
        write("database_url_fuzzer", url)
    write("feast_error_fuzzer", '{"module": "feast.errors", "class": "EntityNotFoundException", '
                                '"message": "Entity driver does not exist in project demo"}')
    write("feast_error_fuzzer", '{"module": "feast.errors", "class": "X", "message": "\\u00e9\\ud83d\\ude00\\n"}')
    write("feast_error_fuzzer", "FeatureViewNotFoundException\0caf\xc3\xa9 \xf0\x9f\x98\x80 \"quoted\"")
    write("feast_error_fuzzer", "{}")
    jwks = ('{"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "a", '
            '"n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", '
            '"e": "AQAB"}]}')
    write("jwks_fuzzer", jwks)
    write("jwks_fuzzer", '{"keys": []}')
    write("jwks_fuzzer", '{"keys": [{"kty": "EC", "kid": "e", "crv": "P-256", "x": "AA", "y": "AA"}]}')
    write("jwks_fuzzer", '{"keys": [{"kty": "RSA", "kid": "a", "n": "", "e": "AQAB"}]}')
    header = '{"alg": "RS256", "typ": "JWT", "kid": "fuzz"}'
    for claims in ['{"sub": "alice", "preferred_username": "alice", "iss": "https://issuer.example", '
                   '"aud": "larder", "exp": 1900000000, "iat": 1700000000, '
                   '"resource_access": {"larder": {"roles": ["reader", "writer"]}}, "groups": ["ml"]}',
                   '{"sub": "bob", "aud": ["larder", "other"], "exp": 1700000000}',
                   '{"preferred_username": "carol", "iss": "https://elsewhere", "aud": "larder", "exp": 1.9e9}',
                   '{}']:
        write("jwt_fuzzer", "\x01" + header + "\0" + claims)
    write("jwt_fuzzer", "\x01" + '{"alg": "none", "kid": "fuzz"}' + "\0" + '{"sub": "x"}')
    write("jwt_fuzzer", "\x00eyJhbGciOiJSUzI1NiIsImtpZCI6ImZ1enoifQ.eyJzdWIiOiJ4In0.c2ln")
    write("jwt_fuzzer", "\x00not-a-jwt")


if __name__ == "__main__":
    main()
