"""Submit trainyard's training containers to an Azure ML compute cluster (azure-ai-ml, SDK v2).

The job runs the same image and the same command as the local docker-compose cluster
(`submit.commands`), so what passes locally is what runs in the cloud.

Layout, one concept per module:
    commands      the training command every node runs (shared with compose)
    frameworks    which Azure ML distribution types each framework may use
    vm_sizes      Azure's current GPU sizes (GPUs, model, InfiniBand), the refused ones, the default
    request       the typed submission request, built once from the command line
    validate      every check that needs no network, run before anything else
    train_flags   ARGS checked by the training entrypoint's own argparse parser
    build_context content hash of a Docker build context (what .dockerignore lets through)
    image_digest  pins an image tag to the digest that `make push` pushed
    environment   the Azure ML Environment (registered image or Azure-built context)
    compute       the AmlCompute cluster
    job           the CommandJob with its distribution
    plan          all three objects, built the same way for a dry run and a real run
    dry_run       writes the plan as CLI v2 YAML and loads it back to validate it
    workspace     workspace settings and the MLClient (the first module that touches Azure)
    azure_submit  the real submission: compute, environment, job, log streaming, how it ended
    user_job      a user's own CLI v2 job file, read and validated once by azure-ai-ml (make rehearse / JOB=)
    user_job_plan that same job for Azure: the trainyard environment and COMPUTE, nothing else changed
    rehearsal     runs a user's job on the compose fake cluster as Azure runs it (make rehearse)
"""
