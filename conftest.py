"""Root conftest: load the course's pytest plugin (impl fixture, --impl, --commit, honesty checks)."""

pytest_plugins = ["tools.pytest_plugin"]
