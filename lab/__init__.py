"""The lab's own tooling: configuration, the `lab` command line, and the native stack."""
