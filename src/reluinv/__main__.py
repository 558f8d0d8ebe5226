"""``python -m reluinv`` runs the command line."""

from reluinv.cli import main

if __name__ == "__main__":
    main()
