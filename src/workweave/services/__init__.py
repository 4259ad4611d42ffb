"""The service layer: use cases shared by the CLI, the web app and the Python API."""
