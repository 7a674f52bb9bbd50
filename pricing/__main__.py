"""``python -m pricing`` is the ``pricing`` command."""

from pricing.cli import main

main()
