"""`python -m allpfit` runs the same CLI as the `allpfit` console script."""

from allpfit.cli import main

main()
