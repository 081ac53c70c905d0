"""The ``crmcli`` program: a shell's completion request is answered here when the data answers
it (crmcli.quickcomplete, no Typer imported); everything else runs the commands (crmcli.cli)."""

import os
import sys


def main() -> None:
    if os.environ.get("_CRMCLI_COMPLETE"):
        from crmcli.quickcomplete import answer

        status = answer()
        if status is not None:
            sys.stdout.flush()
            sys.exit(status)
    from crmcli.cli import main as run

    run()
