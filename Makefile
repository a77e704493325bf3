# Winnow. `make test` is the full test suite (the README's test command).

GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# The libjpeg-turbo fast path is built in when the TurboJPEG library is present.
# TURBO=1 forces it (CI does, so a missing library fails loudly), TURBO= turns it off.
TURBO    ?= $(shell { pkg-config --exists libturbojpeg || test -f /usr/include/turbojpeg.h; } 2>/dev/null && echo 1)
# The HEIC/HEIF/AVIF decoder (cgo libheif, run in sandboxed children) is
# built in when libheif-dev is present; HEIF=1 forces it (CI), HEIF= turns
# it off.
HEIF     ?= $(shell pkg-config --exists libheif 2>/dev/null && echo 1)
comma    := ,
TAGS     = $(subst $(eval) ,$(comma),$(strip $(if $(TURBO),turbojpeg) $(if $(HEIF),libheif)))
GOFLAGS_TAGS = $(if $(TAGS),-tags $(TAGS),)
LDFLAGS  := -X main.version=$(VERSION)
FUZZTIME ?= 60s
BENCHTIME ?= 1s

.PHONY: build test test-only setup test-short test-pure lint bench bench-review fuzz clean demo bench-accuracy compose-check

build:
	$(GO) build $(GOFLAGS_TAGS) -ldflags '$(LDFLAGS)' -o bin/winnow ./cmd/winnow

# The README's test command: installs and starts what the tests need
# (Debian packages, MinIO, PostgreSQL and Redis; scripts/services.sh), checks
# formatting and the compose file, then runs everything (test-only).
# A second make, so that TURBO sees the library setup may just have installed.
test: setup
	$(MAKE) lint compose-check test-only

setup:
	scripts/services.sh install
	scripts/services.sh check

# Everything: the full suite on the fast-JPEG build, the race detector over
# every package (-short: property tests at reduced size, the race detector
# slows them tenfold), and the pure-Go build.
test-only:
	$(GO) vet ./...
	$(GO) test -timeout 30m $(GOFLAGS_TAGS) ./...
	$(GO) test -race -short -timeout 30m $(GOFLAGS_TAGS) ./...
	$(GO) test -short -timeout 30m ./...

test-short:
	$(GO) test -short $(GOFLAGS_TAGS) ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags turbojpeg,libheif ./...

bench:
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./triage/...

# The review queue's figures: tile pages of a 100,000-content queue on
# PostgreSQL (p99 wall and server CPU), then the browser's first screen of
# 10,000 items and the 1,000-item scripted reviewer (README, "Measured").
bench-review:
	$(GO) test -run '^$$' -bench BenchmarkReviewTiles -benchtime 30x ./storage/postgres
	$(GO) test -count 1 -v -run 'TestReviewBrowserScale|TestReviewBrowserBulk' ./cmd/winnow

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzSniff$$' -fuzztime $(FUZZTIME) ./triage/hashing
	$(GO) test -run '^$$' -fuzz '^FuzzHashBytes$$' -fuzztime $(FUZZTIME) ./triage/hashing
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzHashBytes$$' -fuzztime $(FUZZTIME) ./triage/hashing
	$(GO) test -run '^$$' -fuzz '^FuzzParseHashes$$' -fuzztime $(FUZZTIME) ./triage
	$(GO) test -run '^$$' -fuzz '^FuzzHash$$' -fuzztime $(FUZZTIME) ./triage/pdq
	$(GO) test -run '^$$' -fuzz '^FuzzVectorBlur$$' -fuzztime $(FUZZTIME) ./triage/pdq
	$(GO) test -run '^$$' -fuzz '^FuzzLumaFromRGB$$' -fuzztime $(FUZZTIME) ./triage/pdq
	$(GO) test -run '^$$' -fuzz '^FuzzViews$$' -fuzztime $(FUZZTIME) ./triage/hashing
	$(if $(TAGS),$(GO) test $(GOFLAGS_TAGS) -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./triage/jpegturbo,)
	$(GO) test -run '^$$' -fuzz '^FuzzReadEXIF$$' -fuzztime $(FUZZTIME) ./triage/hashing
	$(GO) test -run '^$$' -fuzz '^FuzzParseEXIF$$' -fuzztime $(FUZZTIME) ./workers
	$(GO) test -run '^$$' -fuzz '^FuzzPartPath$$' -fuzztime $(FUZZTIME) ./api
	$(GO) test -run '^$$' -fuzz '^FuzzReadConfig$$' -fuzztime $(FUZZTIME) ./cmd/winnow
	$(GO) test -run '^$$' -fuzz '^FuzzZip$$' -fuzztime $(FUZZTIME) ./triage/archive
	$(GO) test -run '^$$' -fuzz '^FuzzTar$$' -fuzztime $(FUZZTIME) ./triage/archive
	$(GO) test -run '^$$' -fuzz '^FuzzCleanName$$' -fuzztime $(FUZZTIME) ./triage/archive
	$(GO) test -run '^$$' -fuzz '^FuzzParsePasswordHash$$' -fuzztime $(FUZZTIME) ./api
	$(GO) test -run '^$$' -fuzz '^FuzzParseDecision$$' -fuzztime $(FUZZTIME) ./api
	$(GO) test -run '^$$' -fuzz '^FuzzReadReviewConfig$$' -fuzztime $(FUZZTIME) ./cmd/winnow
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./triage/heif
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./triage/vpdq
	$(GO) test -run '^$$' -fuzz '^FuzzParseHashSet$$' -fuzztime $(FUZZTIME) ./triage/setfile
	$(GO) test -run '^$$' -fuzz '^FuzzExtract$$' -fuzztime $(FUZZTIME) ./triage/keypoint
	$(GO) test -run '^$$' -fuzz '^FuzzPeaks$$' -fuzztime $(FUZZTIME) ./triage/keypoint
	$(GO) test -run '^$$' -fuzz '^FuzzConvolve$$' -fuzztime $(FUZZTIME) ./triage/keypoint
	$(GO) test -run '^$$' -fuzz '^FuzzHistogram$$' -fuzztime $(FUZZTIME) ./triage/keypoint
	$(GO) test -run '^$$' -fuzz '^FuzzResampleRows$$' -fuzztime $(FUZZTIME) ./triage/keypoint
	$(GO) test -run '^$$' -fuzz '^FuzzRegionsColumn$$' -fuzztime $(FUZZTIME) ./storage/postgres
	$(GO) test -run '^$$' -fuzz '^FuzzKeypointsColumn$$' -fuzztime $(FUZZTIME) ./storage/postgres
	$(GO) test -run '^$$' -fuzz '^FuzzVICS$$' -fuzztime $(FUZZTIME) ./triage/formats
	$(GO) test -run '^$$' -fuzz '^FuzzPDQCSV$$' -fuzztime $(FUZZTIME) ./triage/formats
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime $(FUZZTIME) ./triage/disk/ewf
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./triage/disk/part
	$(GO) test -run '^$$' -fuzz '^FuzzWalk$$' -fuzztime $(FUZZTIME) ./triage/disk/fat
	$(GO) test -run '^$$' -fuzz '^FuzzWalk$$' -fuzztime $(FUZZTIME) ./triage/disk/exfat
	$(GO) test -run '^$$' -fuzz '^FuzzWalk$$' -fuzztime $(FUZZTIME) ./triage/disk/ext
	$(GO) test -run '^$$' -fuzz '^FuzzRecord$$' -fuzztime $(FUZZTIME) ./triage/disk/ntfs
	$(GO) test -run '^$$' -fuzz '^FuzzVolume$$' -fuzztime $(FUZZTIME) ./triage/disk/ntfs
	$(GO) test -run '^$$' -fuzz '^FuzzLZNT1$$' -fuzztime $(FUZZTIME) ./triage/disk/ntfs
	$(GO) test -run '^$$' -fuzz '^FuzzParseTrustedProxies$$' -fuzztime $(FUZZTIME) ./api
	$(GO) test -run '^$$' -fuzz '^FuzzReadExport$$' -fuzztime $(FUZZTIME) ./triage/auditlog
	$(GO) test -run '^$$' -fuzz '^FuzzCanonical$$' -fuzztime $(FUZZTIME) ./triage/auditlog
	$(GO) test -run '^$$' -fuzz '^FuzzReadReport$$' -fuzztime $(FUZZTIME) ./triage/phone
	$(GO) test -run '^$$' -fuzz '^FuzzExpand$$' -fuzztime $(FUZZTIME) ./triage/phone
	$(GO) test -run '^$$' -fuzz '^FuzzExtraTimes$$' -fuzztime $(FUZZTIME) ./triage/phone
	$(GO) test -run '^$$' -fuzz '^FuzzCarveJPEG$$' -fuzztime $(FUZZTIME) ./triage/carve
	$(GO) test -run '^$$' -fuzz '^FuzzCarvePNG$$' -fuzztime $(FUZZTIME) ./triage/carve
	$(GO) test -run '^$$' -fuzz '^FuzzCarveGIF$$' -fuzztime $(FUZZTIME) ./triage/carve
	$(GO) test -run '^$$' -fuzz '^FuzzCarveBMP$$' -fuzztime $(FUZZTIME) ./triage/carve
	$(GO) test -run '^$$' -fuzz '^FuzzCarveWebP$$' -fuzztime $(FUZZTIME) ./triage/carve
	$(GO) test -run '^$$' -fuzz '^FuzzCarveISOBMFF$$' -fuzztime $(FUZZTIME) ./triage/carve
	$(GO) test -run '^$$' -fuzz '^FuzzCarve$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./triage/carve

# The README's first command: scan the demo seizure (demo/README.md).
DEMO_OUT ?= /tmp/winnow-demo
demo: build
	bin/winnow scan --hashset demo/known.json --hashset demo/known-good.txt --out $(DEMO_OUT) --force demo/seizure

# The matching-accuracy benchmark: prints the recall table (README,
# "Verdict rules"). Downloads Debian wallpaper packages into .cache/ the
# first time (apt-get download); ACCURACY_FLAGS=-debian=false runs on
# generated images alone, -v lists every false match.
ACCURACY_FLAGS ?=
bench-accuracy:
	$(GO) run $(GOFLAGS_TAGS) ./triage/triagetest/benchaccuracy $(ACCURACY_FLAGS)

# docker-compose.yml must parse (there is no container engine here to run it).
compose-check:
	POSTGRES_PASSWORD=x MINIO_ROOT_PASSWORD=x MINIO_KMS_SECRET_KEY=k:eA== docker-compose -f docker-compose.yml config -q

clean:
	rm -rf bin
