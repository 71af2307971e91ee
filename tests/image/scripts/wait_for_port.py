"""Wait until something listens on 127.0.0.1:PORT, at most SECONDS (default 60); exit 1 with a message if not.

Usage: python wait_for_port.py PORT [SECONDS]
"""

import socket
import sys
import time


def main() -> int:
    port, seconds = int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return 0
        except OSError:
            time.sleep(0.5)
    print(f"wait_for_port: nothing listens on 127.0.0.1:{port} after {seconds:.0f}s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
