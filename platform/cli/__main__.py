"""``python -m civicdata.cli`` runs the ``civic`` command."""

from civicdata.cli import main

main()
