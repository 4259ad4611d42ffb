"""``python -m workweave.cli``: the ``workweave`` command."""

from workweave.cli.app import main

if __name__ == "__main__":
    main()
