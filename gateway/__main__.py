"""`python -m gateway`: the same command line as `opencx-gateway`."""

from gateway.cli import main

if __name__ == "__main__":
    main()
