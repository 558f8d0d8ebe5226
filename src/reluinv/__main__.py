"""``python -m reluinv`` runs the command line."""

from reluinv.cli import main

main()
