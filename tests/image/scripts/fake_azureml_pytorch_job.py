"""Start NODES processes the way an Azure ML `pytorch` job with NODES nodes x 1 process would.

Usage: python fake_azureml_pytorch_job.py NODES PORT -- COMMAND [ARG...]

Azure starts the processes itself (no torchrun) and gives each: MASTER_ADDR (node 0), MASTER_PORT,
WORLD_SIZE (= nodes x processes per node), NODE_RANK, RANK, LOCAL_RANK and AZUREML_NODE_COUNT
(docs/azureml-launch-contract.md; Azure's "Distributed GPU training guide (SDK v2)"). Here all
"nodes" share one container, so MASTER_ADDR is 127.0.0.1.
Exit status: the first non-zero one of the processes, else 0; a failed process stops the others,
as a failed node fails an Azure job.
"""

import os
import subprocess
import sys
import time

TIMEOUT_S = 300


def main() -> int:
    nodes, port, separator, *command = sys.argv[1:]
    assert separator == "--" and command, __doc__
    processes = []
    for rank in range(int(nodes)):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=port, WORLD_SIZE=nodes,
                   NODE_RANK=str(rank), RANK=str(rank), LOCAL_RANK="0", AZUREML_NODE_COUNT=nodes)
        processes.append(subprocess.Popen(command, env=env))
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        codes = [p.poll() for p in processes]
        failed = [c for c in codes if c not in (None, 0)]
        if failed or all(c == 0 for c in codes):
            for p in processes:
                if p.poll() is None:
                    p.terminate()
            return failed[0] if failed else 0
        time.sleep(0.2)
    for p in processes:
        p.kill()
    print(f"fake_azureml_pytorch_job: timed out after {TIMEOUT_S}s", file=sys.stderr)
    return 124


if __name__ == "__main__":
    sys.exit(main())
