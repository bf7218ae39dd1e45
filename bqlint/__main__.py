"""`python -m bqlint` runs the command-line interface."""

from bqlint.cli import main

if __name__ == "__main__":
    main()
