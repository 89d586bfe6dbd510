# xiaoxiang — two commands: `make run` and `make test`.
GO        ?= go
MODELS    ?= models
PGURL     ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
ADDR      ?= :8080
BIN       := bin/xiaoxiang

.PHONY: run test test-postgres build models fixtures chromium vet bench fuzz clean

run: models build
	$(BIN) serve --dev --demo --models $(MODELS) --addr $(ADDR)

build:
	$(GO) build -o $(BIN) ./cmd/xiaoxiang

models:
	@scripts/fetch-models.sh $(MODELS)

fixtures:
	@scripts/fetch-fixtures.sh

chromium:
	@scripts/install-chromium.sh

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The whole suite on SQLite. Browser tests run when Chromium is available (installed by scripts/install-chromium.sh).
test: models fixtures chromium vet
	XIAOXIANG_MODELS_DIR=$(CURDIR)/$(MODELS) $(GO) test -timeout 20m ./...

# Packages that read XIAOXIANG_TEST_POSTGRES run again on PostgreSQL; the rest are cached hits.
test-postgres: models
	XIAOXIANG_MODELS_DIR=$(CURDIR)/$(MODELS) XIAOXIANG_TEST_POSTGRES="$(PGURL)" $(GO) test -timeout 20m ./...

bench: models fixtures
	XIAOXIANG_MODELS_DIR=$(CURDIR)/$(MODELS) $(GO) test -run '^$$' -bench . -benchtime 10x ./bench/...

clean:
	rm -rf bin var
