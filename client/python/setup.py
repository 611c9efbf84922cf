"""Builds the larder package; the protobuf/gRPC stubs are generated from the repository's
.proto files (../../proto) while building, by gen_protos.py (needs protoc and
grpc_python_plugin, or grpcio-tools). Metadata is in pyproject.toml."""
import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithProtos(build_py):
    def run(self):
        super().run()
        sys.path.insert(0, HERE)
        import gen_protos  # noqa: E402 - beside this file

        proto_root = os.environ.get("LARDER_PROTO_ROOT", gen_protos.DEFAULT_PROTO_ROOT)
        if os.path.isdir(os.path.join(proto_root, "larder", "v1")):
            gen_protos.generate(proto_root, os.path.abspath(self.build_lib))
        elif not os.path.isdir(os.path.join(HERE, "src", "larder", "protos", "larder")):
            sys.exit(f"larder-client: no .proto files at {proto_root} and no generated stubs in "
                     "src/larder/protos; build from a Larder checkout or set LARDER_PROTO_ROOT")


setup(cmdclass={"build_py": BuildPyWithProtos})
