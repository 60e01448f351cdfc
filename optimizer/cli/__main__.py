"""python -m optimizer.cli: the same as the ``optimize`` command."""

from optimizer.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
