"""The fake Kubernetes API server used by ferry's tests (Python stdlib only).

The entry point is tests/support/fake-apiserver; docs/internals/fake-apiserver.md
describes what it serves and where it differs from a real API server.
"""
