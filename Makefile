# trainyard: build the training images, run the fake cluster, run the tests, submit to Azure ML.
# `make help` lists the targets. Works with Compose v2 (`docker compose`) or v1 (`docker-compose`),
# and with BuildKit or Docker's classic builder (the Dockerfiles need neither's extras).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# ---- What to build --------------------------------------------------------------------------
TAG ?= latest
# The normal base: CUDA 12.8 + cuDNN, matching torch 2.10.0's CUDA 12.8 wheel.
CUDA_BASE ?= nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
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
export TAG NODES OUTPUTS_DIR

# ---- Tools found on this machine ------------------------------------------------------------
COMPOSE ?= $(shell if timeout 20 docker compose version >/dev/null 2>&1; then echo "docker compose"; \
                   elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; fi)
# BuildKit when the buildx plugin is there (a Docker 23+ client refuses BuildKit without it).
BUILDKIT ?= $(shell timeout 20 docker buildx version >/dev/null 2>&1 && echo 1 || echo 0)
DOCKER_BUILD = DOCKER_BUILDKIT=$(BUILDKIT) timeout $(BUILD_TIMEOUT) docker build \
	--build-arg IMAGE_VERSION=$(IMAGE_VERSION) --build-arg VCS_REF=$(VCS_REF)
VENV ?= .venv
PYTHON := $(VENV)/bin/python

COMPOSE_FILES := -f compose.yaml $(if $(filter 1,$(GPUS)),-f compose.gpu.yaml) \
	$(if $(filter-out 1 2,$(NODES)),-f .compose.nodes.yaml)
NODE_SERVICES := $(shell seq -f 'node-%g' 0 $$(( $(NODES) - 1 )) 2>/dev/null)

.PHONY: help
help: ## Show this help
	@echo "trainyard: make TARGET [VARIABLE=value ...]"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: TAG=$(TAG) NODES=$(NODES) GPUS=$(GPUS) OFFLINE=$(OFFLINE) CUDA_BASE=$(CUDA_BASE)"
	@echo "           EXTRA_CA_BUNDLE PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST APT_MIRROR (see README)"
	@echo "Found: compose='$(COMPOSE)' builder=$(if $(filter 1,$(BUILDKIT)),BuildKit,classic)"

.PHONY: check-docker
check-docker:
	@command -v docker >/dev/null || { echo "error: docker is not installed (https://docs.docker.com/engine/install/)." >&2; exit 1; }
	@timeout 30 docker info >/dev/null 2>&1 || { echo "error: the Docker engine does not answer: is it running, and may this user use it?" >&2; exit 1; }

.PHONY: check-compose
check-compose: check-docker
	@test -n "$(COMPOSE)" || { echo "error: neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed." >&2; exit 1; }

.PHONY: build-inputs
build-inputs:
	@bash scripts/write-build-inputs.sh

.PHONY: base-offline
base-offline: check-docker ## Make the registry-free OS base from Debian packages (debootstrap; root)
	bash docker/base-offline/build.sh $(OFFLINE_BASE)

.PHONY: base
base: check-docker build-inputs ## Build trainyard/base (and its builder) on the CUDA or offline base
	@base_image="$$(bash scripts/select-base.sh '$(CUDA_BASE)' '$(OFFLINE_BASE)' '$(OFFLINE)')"; \
	echo "== trainyard/base:$(TAG) on $$base_image ($(if $(filter 1,$(BUILDKIT)),BuildKit,classic builder))"; \
	$(DOCKER_BUILD) -f docker/base/Dockerfile --build-arg BASE_IMAGE="$$base_image" \
	  --target runtime -t trainyard/base:$(TAG) . ; \
	$(DOCKER_BUILD) -f docker/base/Dockerfile --build-arg BASE_IMAGE="$$base_image" \
	  --target builder -t trainyard/base-builder:$(TAG) .

.PHONY: build-pytorch
build-pytorch: base ## Build trainyard/pytorch
	@echo "== trainyard/pytorch:$(TAG)"
	$(DOCKER_BUILD) -f docker/pytorch/Dockerfile \
	  --build-arg BASE_IMAGE=trainyard/base:$(TAG) --build-arg BUILDER_IMAGE=trainyard/base-builder:$(TAG) \
	  -t trainyard/pytorch:$(TAG) .

# cpu: the standard wheel, on either base. gpu: tensorflow[and-cuda] and Horovod's NCCL operations;
# needs a builder made on a CUDA *devel* image (see docker/tensorflow/Dockerfile).
TF_FLAVOUR ?= cpu

.PHONY: build-tensorflow
build-tensorflow: base ## Build trainyard/tensorflow (TF_FLAVOUR=cpu|gpu)
	@echo "== trainyard/tensorflow:$(TAG) ($(TF_FLAVOUR))"
	$(DOCKER_BUILD) -f docker/tensorflow/Dockerfile --build-arg TF_FLAVOUR=$(TF_FLAVOUR) \
	  --build-arg BASE_IMAGE=trainyard/base:$(TAG) --build-arg BUILDER_IMAGE=trainyard/base-builder:$(TAG) \
	  -t trainyard/tensorflow:$(TAG) .

.PHONY: build
build: build-pytorch build-tensorflow ## Build every image
	@docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' 'trainyard/*'

.PHONY: outputs
outputs:
	@mkdir -p "$(OUTPUTS_DIR)"
	@# The containers run as uid 1000, which may not be this user: let them write.
	@chmod a+rwx "$(OUTPUTS_DIR)"

.compose.nodes.yaml: FORCE
	@python3 scripts/compose_nodes.py $(NODES) $(if $(filter 1,$(GPUS)),--gpus) > $@

.PHONY: up
up: check-compose build-pytorch outputs $(if $(filter-out 1 2,$(NODES)),.compose.nodes.yaml) ## Train on the fake cluster (NODES=2); exits with the training's status
	@echo "== $(NODES)-node cluster, outputs in $(OUTPUTS_DIR)"
	@status=0; timeout $(UP_TIMEOUT) $(COMPOSE) $(COMPOSE_FILES) up --abort-on-container-exit \
	  --exit-code-from node-0 $(NODE_SERVICES) || status=$$?; \
	if [ $$status = 124 ]; then echo "error: the cluster ran longer than UP_TIMEOUT=$(UP_TIMEOUT)s; stopping it." >&2; \
	  timeout 120 $(COMPOSE) $(COMPOSE_FILES) down --remove-orphans >/dev/null 2>&1 || true; fi; \
	exit $$status

# TensorFlow jobs: `tensorflow` distribution, 2 workers (MultiWorkerMirrored) or 1 ps + 2 workers.
.PHONY: up-tensorflow up-tensorflow-ps
up-tensorflow: TF_COMPOSE = compose.tensorflow.yaml
up-tensorflow-ps: TF_COMPOSE = compose.tensorflow-ps.yaml
up-tensorflow: ## TensorFlow MultiWorkerMirrored on the fake cluster (2 workers)
up-tensorflow-ps: ## TensorFlow parameter-server job on the fake cluster (1 ps + 2 workers)
up-tensorflow up-tensorflow-ps: check-compose build-tensorflow outputs
	@status=0; timeout $(UP_TIMEOUT) $(COMPOSE) -f $(TF_COMPOSE) up --abort-on-container-exit \
	  --exit-code-from worker-0 || status=$$?; \
	if [ $$status = 124 ]; then echo "error: the cluster ran longer than UP_TIMEOUT=$(UP_TIMEOUT)s; stopping it." >&2; \
	  timeout 120 $(COMPOSE) -f $(TF_COMPOSE) down --remove-orphans >/dev/null 2>&1 || true; fi; \
	exit $$status

# Azure `mpi` distribution: node 0 runs mpirun over SSH across NODES=2 x PROCS_PER_NODE ranks.
PROCS_PER_NODE ?= 1
export PROCS_PER_NODE MPI_COMMAND

.PHONY: up-mpi
up-mpi: check-compose build-pytorch outputs ## MPI job on the fake cluster (Horovod; MPI_COMMAND=..., PROCS_PER_NODE=1)
	@status=0; timeout $(UP_TIMEOUT) $(COMPOSE) -f compose.mpi.yaml up --abort-on-container-exit \
	  --exit-code-from node-0 || status=$$?; \
	timeout 120 $(COMPOSE) -f compose.mpi.yaml down --volumes --remove-orphans >/dev/null 2>&1 || true; \
	if [ $$status = 124 ]; then echo "error: the cluster ran longer than UP_TIMEOUT=$(UP_TIMEOUT)s." >&2; fi; \
	exit $$status

.PHONY: down
down: check-compose ## Stop and remove the fake clusters' containers
	for f in compose.yaml compose.mpi.yaml compose.tensorflow.yaml compose.tensorflow-ps.yaml; do \
	  timeout 120 $(COMPOSE) -f $$f down --remove-orphans; done

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
	  $(PYTHON) -m pytest -m "image or e2e"

.PHONY: lint
lint: venv ## Static checks: ruff, compose files, shell scripts
	$(PYTHON) -m ruff check train submit tests scripts
	@for f in docker/base-offline/build.sh docker/scripts/with-build-inputs docker/pytorch/build-distributed.sh \
	  docker/mpi/node-entry scripts/*.sh .ci/run; do bash -n "$$f"; done
	@$(if $(COMPOSE),for f in compose.yaml "compose.yaml -f compose.gpu.yaml" compose.mpi.yaml compose.tensorflow.yaml \
	  compose.tensorflow-ps.yaml; do timeout 30 $(COMPOSE) -f $$f config -q; done,true)
	@echo "lint: ok"

# ---- Azure ML ----------------------------------------------------------------------------------
FRAMEWORK ?= pytorch
PROCS ?= 1
IMAGE_FAMILY = $(if $(filter tensorflow,$(FRAMEWORK)),tensorflow,pytorch)

.PHONY: push
push: check-docker ## Tag and push the image to REGISTRY (e.g. REGISTRY=myacr.azurecr.io)
	@test -n "$(REGISTRY)" || { echo "error: set REGISTRY, e.g. make push REGISTRY=myacr.azurecr.io (after az acr login)." >&2; exit 2; }
	docker tag trainyard/$(IMAGE_FAMILY):$(TAG) $(REGISTRY)/trainyard/$(IMAGE_FAMILY):$(TAG)
	timeout 3600 docker push $(REGISTRY)/trainyard/$(IMAGE_FAMILY):$(TAG)

.PHONY: azure-submit
azure-submit: venv ## Submit to Azure ML (FRAMEWORK NODES PROCS REGISTRY|IMAGE VM_SIZE COMPUTE LOW_PRIORITY DATA DRY_RUN=1)
	@$(if $(or $(IMAGE),$(REGISTRY),$(BUILD_CONTEXT),$(filter 1 yes true,$(DRY_RUN))),true,\
	  { echo "error: set REGISTRY (after make push) or IMAGE=registry/trainyard/$(IMAGE_FAMILY):$(TAG); DRY_RUN=1 needs neither." >&2; exit 2; })
	$(PYTHON) -m submit --framework $(FRAMEWORK) --nodes $(NODES) --procs $(PROCS) \
	  $(if $(DISTRIBUTION),--distribution $(DISTRIBUTION)) $(if $(VM_SIZE),--vm-size $(VM_SIZE)) \
	  $(if $(COMPUTE),--compute $(COMPUTE)) $(if $(MAX_NODES),--max-nodes $(MAX_NODES)) \
	  $(if $(filter 1 yes true,$(LOW_PRIORITY)),--low-priority) $(if $(DATA),--data $(DATA)) \
	  $(if $(BUILD_CONTEXT),--build-context $(BUILD_CONTEXT),--image $(or $(IMAGE),$(or $(REGISTRY),example.azurecr.io)/trainyard/$(IMAGE_FAMILY):$(TAG))) \
	  $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run --out build/azure)

.PHONY: clean
clean: ## Remove the host venv, generated files and the outputs folder
	rm -rf $(VENV) .compose.nodes.yaml build .pytest_cache
	@echo "outputs/ kept; remove it yourself if you want: rm -rf outputs"

.PHONY: FORCE
FORCE:
