# trainyard: build the training images, run the fake cluster, run the tests, submit to Azure ML.
# `make help` lists the targets. Works with Compose v2 (`docker compose`) or v1 (`docker-compose`),
# and with BuildKit or Docker's classic builder (the Dockerfiles need neither's extras).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# ---- What to build --------------------------------------------------------------------------
TAG ?= latest
# The images that `make build` makes, each from docker/<name>/Dockerfile (see `build/%`).
IMAGES := pytorch tensorflow
# NVIDIA's CUDA images: the runtime one is the normal base (CUDA + cuDNN of the frameworks' CUDA
# 12 wheels); the devel one, when the registry has it, compiles the images' GPU code (else
# Debian's CUDA packages do: docker/cuda-toolchain/).
CUDA_IMAGE_VERSION ?= 12.8.1-cudnn
CUDA_BASE ?= nvidia/cuda:$(CUDA_IMAGE_VERSION)-runtime-ubuntu24.04
CUDA_DEVEL_IMAGE ?= nvidia/cuda:$(CUDA_IMAGE_VERSION)-devel-ubuntu24.04
# The registry-free base, made from Debian packages by `make base-offline`.
DEBIAN_SUITE ?= bookworm
DEBIAN_MIRROR ?= http://deb.debian.org/debian
OFFLINE_BASE ?= trainyard/os-offline:$(DEBIAN_SUITE)
# auto: the CUDA base when it can be pulled, else the offline base (loudly); 1: offline; 0: CUDA.
OFFLINE ?= auto
IMAGE_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
VCS_REF := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# ---- Build inputs for locked-down networks (used while building, never in a final image) ----
# An extra CA bundle: by default the one pip on this machine already trusts, if any.
EXTRA_CA_BUNDLE ?= $(or $(PIP_CERT),$(shell timeout 20 python3 -m pip config get global.cert 2>/dev/null))
PIP_INDEX_URL ?=
PIP_EXTRA_INDEX_URL ?=
PIP_TRUSTED_HOST ?=
APT_MIRROR ?=
export EXTRA_CA_BUNDLE PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST APT_MIRROR DEBIAN_SUITE DEBIAN_MIRROR

# ---- The fake cluster -----------------------------------------------------------------------
NODES ?= 2
GPUS ?= 0
OUTPUTS_DIR ?= $(CURDIR)/outputs
UP_TIMEOUT ?= 3600
BUILD_TIMEOUT ?= 3600
# Parallel compile jobs in the images' builder stages (each takes about 1.5 GB of memory).
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Images that `make build` builds at once (each log line says whose). On 2 cores two builds gain
# nothing: unpacking wheels and committing multi-GB layers keep the CPU busy too (cold build of both
# images: 44 min one after the other, about 50 min side by side). From 4 cores they overlap.
BUILD_PARALLEL ?= $(shell [ "$$(nproc 2>/dev/null || echo 2)" -ge 4 ] && echo 2 || echo 1)
export TAG NODES OUTPUTS_DIR

# ---- Tools found on this machine ------------------------------------------------------------
COMPOSE ?= $(shell if timeout 20 docker compose version >/dev/null 2>&1; then echo "docker compose"; \
                   elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; fi)
# The compose that COMPOSE is not, where both are installed: make test-matrix runs the compose cases
# under it too (Compose v2 and v1 differ in names, output and flags; users have either).
COMPOSE_OTHER ?= $(shell if [ "$(COMPOSE)" = "docker compose" ]; then \
                         docker-compose version --short 2>/dev/null | grep -q '^1\.' && echo docker-compose; \
                       elif [ -n "$(COMPOSE)" ]; then timeout 20 docker compose version >/dev/null 2>&1 && echo "docker compose"; fi)
# BuildKit when the buildx plugin is there (a Docker 23+ client refuses BuildKit without it).
BUILDKIT ?= $(shell timeout 20 docker buildx version >/dev/null 2>&1 && echo 1 || echo 0)
DOCKER_BUILD = DOCKER_BUILDKIT=$(BUILDKIT) timeout $(BUILD_TIMEOUT) docker build \
	--build-arg IMAGE_VERSION=$(IMAGE_VERSION) --build-arg VCS_REF=$(VCS_REF) --build-arg BUILD_JOBS=$(BUILD_JOBS)
VENV ?= .venv
PYTHON := $(VENV)/bin/python

COMPOSE_FILES := -f compose.yaml $(if $(filter 1,$(GPUS)),-f compose.gpu.yaml) \
	$(if $(filter-out 1 2,$(NODES)),-f .compose.nodes.yaml)
NODE_SERVICES := $(shell seq -f 'node-%g' 0 $$(( $(NODES) - 1 )) 2>/dev/null)

.PHONY: help
help: ## Show this help
	@echo "trainyard: make TARGET [VARIABLE=value ...]"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_%/-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: TAG=$(TAG) NODES=$(NODES) GPUS=$(GPUS) OFFLINE=$(OFFLINE) CUDA_BASE=$(CUDA_BASE)"
	@echo "           CUDA_DEVEL_IMAGE=$(CUDA_DEVEL_IMAGE) BUILD_JOBS=$(BUILD_JOBS) IMAGES='$(IMAGES)'"
	@echo "           EXTRA_CA_BUNDLE PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST APT_MIRROR (see README)"
	@echo "Found: compose='$(COMPOSE)'$(if $(COMPOSE_OTHER), (and '$(COMPOSE_OTHER)' for make test-matrix)) builder=$(if $(filter 1,$(BUILDKIT)),BuildKit,classic)"

.PHONY: check-docker
check-docker:
	@command -v docker >/dev/null || { echo "error: docker is not installed (https://docs.docker.com/engine/install/)." >&2; exit 1; }
	@timeout 30 docker info >/dev/null 2>&1 || { echo "error: the Docker engine does not answer: is it running, and may this user use it?" >&2; exit 1; }

.PHONY: check-compose
check-compose: check-docker
	@test -n "$(COMPOSE)" || { echo "error: neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed: make compose-tools installs v2 (and buildx) from Debian's packages, or see https://docs.docker.com/compose/install/" >&2; exit 1; }

.PHONY: compose-tools
compose-tools: ## Install Compose v2 and buildx as this user's Docker CLI plugins, from Debian trixie's packages
	timeout 900 bash scripts/install-compose-tools.sh

.PHONY: build-inputs
build-inputs:
	@bash scripts/write-build-inputs.sh

.PHONY: base-offline
base-offline: check-docker ## Make the registry-free OS base from Debian packages (debootstrap; root)
	bash docker/base-offline/build.sh $(OFFLINE_BASE)

.PHONY: base
base: check-docker build-inputs ## Build trainyard/base (and its builder, never pushed) on the CUDA or offline base
	@base_image="$$(bash scripts/select-base.sh '$(CUDA_BASE)' '$(OFFLINE_BASE)' '$(OFFLINE)')"; \
	echo "== trainyard/base:$(TAG) on $$base_image ($(if $(filter 1,$(BUILDKIT)),BuildKit,classic builder))"; \
	$(DOCKER_BUILD) -f docker/base/Dockerfile --build-arg BASE_IMAGE="$$base_image" \
	  --target runtime -t trainyard/base:$(TAG) . ; \
	$(DOCKER_BUILD) -f docker/base/Dockerfile --build-arg BASE_IMAGE="$$base_image" \
	  --target builder -t trainyard/base-builder:$(TAG) .

.PHONY: cuda-toolchain
cuda-toolchain: base ## The CUDA compiler for builder stages (devel image if pullable, else Debian's packages)
	@source="$$(bash scripts/select-toolchain.sh '$(CUDA_DEVEL_IMAGE)')"; \
	echo "== trainyard/cuda-toolchain:$(TAG) ($$source; never pushed: builder stages copy from it)"; \
	$(DOCKER_BUILD) -f docker/cuda-toolchain/$$source.Dockerfile --build-arg BUILDER_IMAGE=trainyard/base-builder:$(TAG) \
	  --build-arg CUDA_DEVEL_IMAGE=$(CUDA_DEVEL_IMAGE) -t trainyard/cuda-toolchain:$(TAG) .

# One rule for every image of IMAGES: docker/<name>/Dockerfile on the base, its builder and the toolchain.
# Its lines are prefixed with [<name>] and a time, so that builds running side by side can be read.
build/%: base cuda-toolchain FORCE ## Build trainyard/<name> (build/pytorch, build/tensorflow)
	@echo "== trainyard/$*:$(TAG)"
	$(DOCKER_BUILD) -f docker/$*/Dockerfile --build-arg BASE_IMAGE=trainyard/base:$(TAG) \
	  --build-arg BUILDER_IMAGE=trainyard/base-builder:$(TAG) --build-arg TOOLCHAIN_IMAGE=trainyard/cuda-toolchain:$(TAG) \
	  -t trainyard/$*:$(TAG) . 2>&1 | while IFS= read -r line; do printf '[%s %(%H:%M:%S)T] %s\n' '$*' -1 "$$line"; done

.PHONY: build
build: ## Build every image (the base and toolchain first, then BUILD_PARALLEL images at once)
	@$(MAKE) --no-print-directory -j$(BUILD_PARALLEL) $(addprefix build/,$(IMAGES))
	@docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' 'trainyard/*'

# Each image's bill of materials, as the image carries it (made in its Dockerfile's sbom stage).
SBOM_DIR ?= build/sbom
.PHONY: sbom
sbom: check-docker ## Copy each built image's CycloneDX SBOM out to SBOM_DIR/<image>.cdx.json (build/sbom)
	@mkdir -p "$(SBOM_DIR)"; for name in $(IMAGES); do image=trainyard/$$name:$(TAG); \
	  timeout 30 docker image inspect "$$image" >/dev/null 2>&1 \
	    || { echo "error: $$image is not built: run make build/$$name first" >&2; exit 1; }; \
	  timeout 120 docker run --rm "$$image" cat /etc/trainyard/sbom.cdx.json > "$(SBOM_DIR)/$$name.cdx.json.part" \
	    || { echo "error: $$image has no /etc/trainyard/sbom.cdx.json (built before SBOMs? make build/$$name)" >&2; \
	         rm -f "$(SBOM_DIR)/$$name.cdx.json.part"; exit 1; }; \
	  mv "$(SBOM_DIR)/$$name.cdx.json.part" "$(SBOM_DIR)/$$name.cdx.json"; echo "$(SBOM_DIR)/$$name.cdx.json ($$image)"; done

# The names earlier releases used: make build-pytorch, make build-tensorflow.
build-%: build/% ;

.PHONY: outputs
outputs:
	@mkdir -p "$(OUTPUTS_DIR)"
	@# The containers run as uid 1000, which may not be this user: let them write.
	@chmod a+rwx "$(OUTPUTS_DIR)"

.compose.nodes.yaml: FORCE
	@python3 scripts/compose_nodes.py $(NODES) $(if $(filter 1,$(GPUS)),--gpus) > $@

# ---- The fake clusters: one recipe for all four --------------------------------------------
# Each cluster: its compose files, the service whose exit status is the cluster's, its services.
CLUSTERS := up up-mpi up-tensorflow up-tensorflow-ps
up: CLUSTER_FILES = $(COMPOSE_FILES)
up: CLUSTER_SERVICES = $(NODE_SERVICES)
up-mpi: CLUSTER_FILES = -f compose.mpi.yaml
up-tensorflow: CLUSTER_FILES = -f compose.tensorflow.yaml
up-tensorflow-ps: CLUSTER_FILES = -f compose.tensorflow-ps.yaml
up up-mpi: CLUSTER_HEAD = node-0
up-tensorflow up-tensorflow-ps: CLUSTER_HEAD = worker-0
# Azure `mpi` distribution: node 0 runs mpirun over SSH across NODES=2 x PROCS_PER_NODE ranks.
PROCS_PER_NODE ?= 1
# Extra training flags for every cluster's command (compose appends ${ARGS:-}), and for azure-submit.
ARGS ?=
# Each node's share of this host's cores (compose's `cpus:`): the nodes of a fake cluster share one
# host, and training runs as many threads as its share (train.common.cpu_share), so N nodes do not
# each start a thread per core of the host. 0: no limit. A parameter server shares the workers' cores.
up: CLUSTER_NODES = $(NODES)
up-mpi up-tensorflow up-tensorflow-ps: CLUSTER_NODES = 2
NODE_CPUS ?= $(shell awk -v cores="$$(nproc 2>/dev/null || echo 2)" -v nodes=$(CLUSTER_NODES) \
	'BEGIN { printf "%.2f", cores / nodes }')
export PROCS_PER_NODE MPI_COMMAND ARGS

up: build/pytorch $(if $(filter-out 1 2,$(NODES)),.compose.nodes.yaml) ## Train on the fake cluster (NODES=2, GPUS=0, ARGS='--epochs 1'); exits with the training's status
up-mpi: build/pytorch ## MPI job on the fake cluster (Horovod; MPI_COMMAND=..., PROCS_PER_NODE=1)
up-tensorflow: build/tensorflow ## TensorFlow MultiWorkerMirrored on the fake cluster (2 workers)
up-tensorflow-ps: build/tensorflow ## TensorFlow parameter-server job on the fake cluster (1 ps + 2 workers)
.PHONY: $(CLUSTERS)
$(CLUSTERS): check-compose outputs
	@echo "== $@: $(CLUSTER_FILES), outputs in $(OUTPUTS_DIR), $(NODE_CPUS) CPUs per node (NODE_CPUS)"
	@export NODE_CPUS=$(NODE_CPUS); status=0; timeout $(UP_TIMEOUT) $(COMPOSE) $(CLUSTER_FILES) up --abort-on-container-exit \
	  --exit-code-from $(CLUSTER_HEAD) $(CLUSTER_SERVICES) || status=$$?; \
	timeout 120 $(COMPOSE) $(CLUSTER_FILES) down --volumes --remove-orphans >/dev/null 2>&1 || true; \
	if [ $$status = 124 ]; then echo "error: the cluster ran longer than UP_TIMEOUT=$(UP_TIMEOUT)s; stopped it." >&2; fi; \
	exit $$status

.PHONY: down
down: check-compose ## Stop and remove the fake clusters' containers
	for f in compose.yaml compose.mpi.yaml compose.tensorflow.yaml compose.tensorflow-ps.yaml; do \
	  timeout 120 $(COMPOSE) -f $$f down --volumes --remove-orphans; done

$(VENV)/.installed: requirements-dev.txt submit/requirements.txt
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: python3 is older than 3.11." >&2; exit 1; }
	timeout 120 python3 -m venv $(VENV)
	timeout 900 $(VENV)/bin/pip install --quiet -r requirements-dev.txt
	@touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Make .venv with the host's test tools

.PHONY: test-unit
test-unit: venv ## Unit tests on the host (seconds, no Docker)
	$(PYTHON) -m pytest -m unit

.PHONY: test
test: venv lint test-unit build ## Everything: lint, unit tests, build, tests in the images, compose end to end
	TRAINYARD_REQUIRE_IMAGES=1 TRAINYARD_PYTORCH_IMAGE=trainyard/pytorch:$(TAG) \
	  TRAINYARD_TENSORFLOW_IMAGE=trainyard/tensorflow:$(TAG) COMPOSE="$(COMPOSE)" \
	  $(PYTHON) -m pytest -m "(image or e2e) and not faults and not matrix" --durations=20

.PHONY: test-matrix
test-matrix: venv build ## The other variants of cases make test runs once (ZeRO stages, launchers, layouts)
	TRAINYARD_REQUIRE_IMAGES=1 TRAINYARD_PYTORCH_IMAGE=trainyard/pytorch:$(TAG) \
	  TRAINYARD_TENSORFLOW_IMAGE=trainyard/tensorflow:$(TAG) COMPOSE="$(COMPOSE)" \
	  $(PYTHON) -m pytest -m "matrix and not faults" --durations=20
	@if [ -z "$(COMPOSE_OTHER)" ]; then echo "test-matrix: only '$(COMPOSE)' is installed, so the compose cases ran under it alone (make compose-tools adds v2)"; \
	else echo "== test-matrix: the compose cases and make up under '$(COMPOSE_OTHER)' (make test ran them under '$(COMPOSE)')"; \
	  TRAINYARD_REQUIRE_IMAGES=1 TRAINYARD_PYTORCH_IMAGE=trainyard/pytorch:$(TAG) \
	    TRAINYARD_TENSORFLOW_IMAGE=trainyard/tensorflow:$(TAG) COMPOSE="$(COMPOSE_OTHER)" \
	    $(PYTHON) -m pytest -m "e2e and not faults and not matrix" --durations=20 \
	  && $(MAKE) --no-print-directory up COMPOSE="$(COMPOSE_OTHER)"; fi

# Every tracked shell script (by its #! line) and Dockerfile, so a new one is linted without a list.
SHELL_SCRIPTS = $(shell git ls-files | while read -r f; do head -n 1 "$$f" 2>/dev/null | grep -qE '^\#!.*\b(ba)?sh\b' && echo "$$f"; done)
DOCKERFILES = $(shell git ls-files 'Dockerfile' '*/Dockerfile' '*.Dockerfile')

.PHONY: lint
lint: venv ## Static checks: ruff, shellcheck, hadolint, compose files
	$(PYTHON) -m ruff check train submit tests scripts bench
	$(VENV)/bin/shellcheck $(SHELL_SCRIPTS)
	$(VENV)/bin/hadolint $(DOCKERFILES)
	@$(if $(COMPOSE),for f in compose.yaml "compose.yaml -f compose.gpu.yaml" compose.mpi.yaml compose.tensorflow.yaml \
	  compose.tensorflow-ps.yaml; do timeout 30 $(COMPOSE) -f $$f config -q; done,true)
	@echo "lint: ok"

# ---- Azure ML ----------------------------------------------------------------------------------
FRAMEWORK ?= pytorch
# Empty: one process per GPU of VM_SIZE (1 for tensorflow); VM_SIZE empty: submit/vm_sizes.py's default.
PROCS ?=
IMAGE_FAMILY = $(if $(filter tensorflow,$(FRAMEWORK)),tensorflow,pytorch)

.PHONY: push
push: check-docker ## Tag and push the image to REGISTRY (e.g. REGISTRY=myacr.azurecr.io)
	@test -n "$(REGISTRY)" || { echo "error: set REGISTRY, e.g. make push REGISTRY=myacr.azurecr.io (after az acr login)." >&2; exit 2; }
	docker tag trainyard/$(IMAGE_FAMILY):$(TAG) $(REGISTRY)/trainyard/$(IMAGE_FAMILY):$(TAG)
	timeout 3600 docker push $(REGISTRY)/trainyard/$(IMAGE_FAMILY):$(TAG)

.PHONY: azure-submit
azure-submit: venv ## Submit to Azure ML: JOB=job.yml (yours), or trainyard's trainer (FRAMEWORK NODES PROCS DATA ARGS ...); REGISTRY|IMAGE VM_SIZE COMPUTE LOW_PRIORITY TIMEOUT DRY_RUN=1
	@$(if $(or $(IMAGE),$(REGISTRY),$(BUILD_CONTEXT),$(filter 1 yes true,$(DRY_RUN))),true,\
	  { echo "error: set REGISTRY (after make push) or IMAGE=registry/trainyard/$(IMAGE_FAMILY):$(TAG); DRY_RUN=1 needs neither." >&2; exit 2; })
	$(PYTHON) -m submit $(if $(JOB),--job "$(JOB)",--framework $(FRAMEWORK) --nodes $(NODES) $(if $(PROCS),--procs $(PROCS)) \
	  $(if $(DISTRIBUTION),--distribution $(DISTRIBUTION)) $(if $(DATA),--data $(DATA)) \
	  $(if $(PARAMETER_SERVERS),--parameter-servers $(PARAMETER_SERVERS)) --train-args="$$ARGS") \
	  $(if $(VM_SIZE),--vm-size $(VM_SIZE)) $(if $(COMPUTE),--compute $(COMPUTE)) $(if $(MAX_NODES),--max-nodes $(MAX_NODES)) \
	  $(if $(filter 1 yes true,$(LOW_PRIORITY)),--low-priority) $(if $(TIMEOUT),--timeout $(TIMEOUT)) \
	  $(if $(BUILD_CONTEXT),--build-context $(BUILD_CONTEXT),$(if $(IMAGE),--image $(IMAGE),--registry $(or $(REGISTRY),example.azurecr.io) --tag $(TAG))) \
	  $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run --out build/azure)

# ---- Rehearse your own Azure ML job on the fake cluster --------------------------------------
# JOB: a CLI v2 command job file; INPUTS='name=local/path ...' stands in for inputs Azure resolves
# in the cloud; CPU_FALLBACK=1 runs a CUDA/NCCL job on a host without a GPU; GPUS=1 shares this host's
# GPU with every node; VM_SIZE: the cluster's size, for the GPUs-per-node check.
JOB ?=
INPUTS ?=
CPU_FALLBACK ?=
export INPUTS

.PHONY: rehearse
rehearse: venv check-compose outputs ## Run YOUR Azure ML job file on the fake cluster as Azure runs it (JOB=job.yml INPUTS= CPU_FALLBACK=1 GPUS=1 VM_SIZE=)
	@test -n "$(JOB)" || { echo "error: name the job file: make rehearse JOB=path/to/job.yml (examples: submit/examples/jobs/)" >&2; exit 2; }
	COMPOSE="$(COMPOSE)" $(PYTHON) -m submit rehearse "$(JOB)" --tag $(TAG) --outputs-dir "$(OUTPUTS_DIR)" --inputs="$$INPUTS" \
	  $(if $(filter 1,$(GPUS)),--gpus) $(if $(filter 1 yes true,$(CPU_FALLBACK)),--cpu-fallback) $(if $(VM_SIZE),--vm-size $(VM_SIZE))

.PHONY: clean
clean: ## Remove the host venv, generated files and the outputs folder
	rm -rf $(VENV) .compose.nodes.yaml build .pytest_cache
	@echo "outputs/ kept; remove it yourself if you want: rm -rf outputs"

.PHONY: FORCE
FORCE:

# ---- Figures to compare images by (minutes; never part of make test: timings are not assertions) ----
.PHONY: bench
bench: venv ## Measure the built images: link and all-reduce busbw, 1->2 rank scaling, start-up (~25 min on 2 cores)
	@timeout 60 docker image inspect trainyard/pytorch:$(TAG) >/dev/null 2>&1 || \
	  { echo "error: trainyard/pytorch:$(TAG) does not exist: run make build (the bench measures the images as built)." >&2; exit 1; }
	$(PYTHON) -m bench --tag $(TAG)

# ---- Faults on the fake cluster (minutes; one short case also runs in `make test`) ------------
FAULT_FIGURES ?= build/fault-figures.md

.PHONY: faults
faults: venv build/pytorch ## Kill, pause and stop nodes of the fake cluster; a table of figures in FAULT_FIGURES
	@mkdir -p $(dir $(FAULT_FIGURES)) && rm -f $(FAULT_FIGURES)
	TRAINYARD_REQUIRE_IMAGES=1 TRAINYARD_PYTORCH_IMAGE=trainyard/pytorch:$(TAG) COMPOSE="$(COMPOSE)" \
	  TRAINYARD_FAULT_FIGURES=$(FAULT_FIGURES) $(PYTHON) -m pytest $(wildcard tests/e2e/test_fault_*.py)
	@cat $(FAULT_FIGURES)
