"""`python -m mutagrad.cli`: the same as the `mutagrad` command."""
from . import main

main()
