"""Rehearse a user's own Azure ML CLI v2 job on the fake cluster, the way Azure runs it.

`python -m submit rehearse job.yml` (`make rehearse JOB=job.yml`). One parsed job (submit.user_job)
is what this runs and what `make azure-submit JOB=` sends. One concept per module:
    azure_paths   where Azure puts the working directory, inputs and outputs on a node
    bindings      ${{inputs.x}} / ${{outputs.x}} / $[[optional]] in the command, as Azure substitutes them
    inputs        each input's value on the node: a literal, a local path, or a stand-in (INPUTS=)
    images        which local image stands in for the job's environment
    layout        the nodes and processes, each with the variables Azure gives it (the launch contract)
    preflight     what would fail on the cluster and can be seen before starting
    snapshot      the copy of `code:` each node works in (the user's folder is never written)
    cluster_files the compose file and the per-node launch scripts
    run           starting the cluster, watching it, and the end summary
    cli           the command line
"""
