# Infrastructure targets: build, deploy, iac-lint, tools.
# Included by the main Makefile (`include mk/iac.mk`); `make test` depends on iac-lint.
#
# The IaC tools live in their own virtualenvs under .tools/ (git-ignored): aws-sam-cli and
# checkov pin dependencies that conflict with the app's (and with each other).

ENV ?= dev
TOOLS_DIR ?= .tools
TOOLS_PYTHON ?= python3
SAM_VERSION ?= 1.170.0
CHECKOV_VERSION ?= 3.3.30
SAM ?= $(TOOLS_DIR)/sam/bin/sam
CHECKOV ?= $(TOOLS_DIR)/checkov/bin/checkov
# cfn-lint is pinned in requirements-dev.txt (the app venv).
CFN_LINT ?= .venv/bin/cfn-lint
AWS ?= aws

export SAM_CLI_TELEMETRY = 0

$(SAM):
	$(TOOLS_PYTHON) -m venv $(TOOLS_DIR)/sam
	$(TOOLS_DIR)/sam/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_VERSION)

$(CHECKOV):
	$(TOOLS_PYTHON) -m venv $(TOOLS_DIR)/checkov
	$(TOOLS_DIR)/checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

.PHONY: tools build deploy iac-lint

## tools: install the IaC tools (sam, checkov) into .tools/
tools: $(SAM) $(CHECKOV)

## build: sam build (the layer is built for Lambda's arm64/python3.13 by layers/shared/Makefile)
build: $(SAM)
	$(SAM) build --template-file template.yaml

## deploy ENV=dev|staging|prod: build, deploy the stack with samconfig.toml's settings
deploy: build
	@case "$(ENV)" in dev|staging|prod) ;; *) echo "ENV must be dev, staging or prod"; exit 2;; esac
	$(SAM) deploy --config-env $(ENV)

## iac-lint: cfn-lint on the template
iac-lint:
	$(CFN_LINT) template.yaml
