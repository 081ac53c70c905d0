"""The ``crmcli`` program: a shell's completion request is answered here when the data answers
it (crmcli.quickcomplete), cron's `visit due` in a pipe by crmcli.quickdue, both before Typer is
imported; everything else runs the commands (crmcli.cli)."""

import gc
import os
import signal
import sys


def settle() -> None:
    """The process as one command wants it."""
    # One command per process: what the imports made lives until exit, so the cycle collector
    # need not walk it again each time a large command (thousands of rows) allocates more;
    # cycles made from here on are still collected, in fewer and larger batches.
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    if hasattr(signal, "SIGPIPE"):
        # `crmcli visit list | head` ends quietly, as other Unix tools do.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def main() -> None:
    if os.environ.get("_CRMCLI_COMPLETE"):
        from crmcli.quickcomplete import answer

        status = answer()
        if status is not None:
            sys.stdout.flush()
            sys.exit(status)
    settle()
    if "due" in sys.argv:
        from crmcli.quickdue import answer as run_due

        code = run_due(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from crmcli.cli import app

    app(prog_name="crmcli")
