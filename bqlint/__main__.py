"""`python -m bqlint` runs the command-line interface."""

from bqlint.interrupt import entry

if __name__ == "__main__":
    entry()
