"""``python -m viz``: the ``backprop`` command (same arguments, same exit status).

Example:
    >>> import subprocess, sys
    >>> subprocess.run([sys.executable, "-m", "viz", "--help"], capture_output=True).returncode
    0
"""

import sys

from viz.cli import main

if __name__ == "__main__":
    sys.exit(main())
