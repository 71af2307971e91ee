"""Write a compose override that adds nodes node-2 .. node-(N-1) to compose.yaml's cluster.

Compose cannot repeat a service from a variable, and `--scale` would give every replica the
same NODE_RANK and RANK; Azure gives each node its own. So `make up NODES=N` renders the extra
services here, each a copy of node-1 with its own ranks.

Usage: python3 scripts/compose_nodes.py NODES [--gpus] > .compose.nodes.yaml
"""

import argparse
import json
import sys


def extra_nodes(nodes: int, gpus: bool) -> dict:
    services = {}
    for node_rank in range(2, nodes):
        service = {
            "extends": {"file": "compose.yaml", "service": "node-1"},
            "hostname": f"node-{node_rank}",
            "environment": {"NODE_RANK": str(node_rank), "RANK": str(node_rank)},
        }
        if gpus:
            service["deploy"] = {
                "resources": {"reservations": {"devices": [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]}}
            }
        services[f"node-{node_rank}"] = service
    return {"services": services}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nodes", type=int)
    parser.add_argument("--gpus", action="store_true")
    args = parser.parse_args(argv)
    if args.nodes < 1:
        parser.error(f"NODES={args.nodes}: expected a whole number >= 1")
    # JSON is YAML, and needs no YAML library on the host.
    json.dump(extra_nodes(args.nodes, args.gpus), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
