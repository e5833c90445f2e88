#!/bin/sh
# Generate the benchmark tree: 50,000 files, of which 2,000 Dockerfiles and
# 500 compose files, the rest source files, READMEs, a few YAML files that
# are not compose files (Kubernetes manifests, GitHub workflows), a .git
# directory and node_modules directories (which hold Dockerfiles and compose
# files of their own that must not be scanned).
#
# usage: gen-tree.sh DIR
#
# Deterministic: the same DIR content on every machine (a Park-Miller
# generator in awk, exact in double arithmetic, not awk's rand()).  DIR must
# not exist or be empty.  Takes a few seconds.
set -eu

dir=${1:?usage: gen-tree.sh DIR}
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
	echo "gen-tree.sh: $dir exists and is not empty" >&2
	exit 2
fi
mkdir -p "$dir"
cd "$dir"

gen() {
	awk -v mode="$1" '
function rnd(n) {
	seed = (seed * 16807) % 2147483647
	return seed % n
}

function add(path, body,    d) {
	nfiles++
	if (mode == "dirs") {
		d = path
		sub(/\/[^\/]*$/, "", d)
		if (d != path && !(d in dirs)) {
			dirs[d] = 1
			print d
		}
		return
	}
	printf "%s", body > path
	close(path)
}

function image(    i) {
	i = 1 + rnd(nimages)
	if (rnd(10) == 0)
		return images[i] "@sha256:" hex64()
	return images[i]
}

function hex64(    s, k) {
	s = ""
	for (k = 0; k < 8; k++)
		s = s sprintf("%08x", rnd(2147483647))
	return s
}

function filler(n,    s, k) {
	s = ""
	for (k = 0; k < n; k++)
		s = s "RUN set -eux; apk add --no-cache pkg" rnd(1000) \
		    " && rm -rf /var/cache/apk/* /tmp/build-" k "\n"
	return s
}

function dockerfile(    s, n, k) {
	if (mode == "dirs")
		return ""
	s = "# syntax=docker/dockerfile:1\nARG BASE=" image() "\n"
	n = 1 + rnd(3)
	for (k = 0; k < n; k++) {
		s = s "\nFROM " image() " AS stage" k "\n"
		s = s "WORKDIR /src\nCOPY . .\n" filler(2 + rnd(6))
		if (k > 0)
			s = s "COPY --from=stage" (k - 1) " /out /in\n"
	}
	s = s "\nFROM ${BASE}\nCOPY --from=stage" (n - 1) " /out /app\n"
	s = s "USER 65532:65532\nENTRYPOINT [\"/app/run\"]\n"
	return s
}

function compose(    s, n, k) {
	if (mode == "dirs")
		return ""
	s = "services:\n"
	n = 3 + rnd(4)
	for (k = 0; k < n; k++) {
		s = s "  svc" k ":\n    image: " image() "\n"
		s = s "    restart: unless-stopped\n    environment:\n"
		s = s "      - LOG_LEVEL=info\n      - PORT=" (8000 + k) "\n"
		s = s "    ports:\n      - \"" (8000 + k) ":" (8000 + k) "\"\n"
	}
	return s
}

function source(name,    s, n, k) {
	if (mode == "dirs")
		return ""
	s = "// " name "\n"
	n = 5 + rnd(40)
	for (k = 0; k < n; k++)
		s = s "int f" k "(int x) { return x * " rnd(100) " + " k "; }\n"
	return s
}

function kube() {
	if (mode == "dirs")
		return ""
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n" \
	    "  name: app\nspec:\n  template:\n    spec:\n      containers:\n" \
	    "        - name: app\n          image: " image() "\n"
}

function workflow() {
	if (mode == "dirs")
		return ""
	return "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n" \
	    "    container: " image() "\n    steps:\n" \
	    "      - uses: actions/checkout@v4\n"
}

BEGIN {
	seed = 20261204
	nimages = split("node:20-alpine node:22-alpine node:20-bookworm-slim " \
	    "python:3.12-slim python:3.12-alpine golang:1.22-alpine " \
	    "rust:1.77-alpine alpine:3.19 alpine:3.20 ruby:3.3-slim " \
	    "eclipse-temurin:21-jre-alpine eclipse-temurin:21-jdk-alpine " \
	    "amazoncorretto:21-alpine " \
	    "mcr.microsoft.com/dotnet/aspnet:8.0-alpine " \
	    "gcr.io/distroless/static:nonroot debian:bookworm-slim " \
	    "ubuntu:22.04 nginx:1.25-alpine postgres:16-alpine " \
	    "redis:7-alpine ghcr.io/acme/tool:1.4.2 busybox:latest " \
	    "registry.example.com:5000/team/app:2024.11", images, " ")
	split("c go py js ts rs java rb", exts, " ")
	total = 50000
	nproj = 250

	for (i = 0; i < 1000; i++)
		add(sprintf(".git/objects/%02x/%038x", i % 256, i), \
		    mode == "dirs" ? "" : "blob " i "\n")

	for (p = 0; p < nproj; p++) {
		pr = sprintf("p%03d", p)
		add(pr "/Dockerfile", dockerfile())
		for (k = 0; k < 4; k++)
			add(pr "/services/svc" k "/Dockerfile", dockerfile())
		add(pr "/docker/Dockerfile.dev", dockerfile())
		add(pr "/tools/build.Dockerfile", dockerfile())
		add(pr "/deploy/images/base/Containerfile", dockerfile())
		add(pr "/compose.yaml", compose())
		add(pr "/deploy/docker-compose.prod.yml", compose())
		if (p % 5 == 0)
			add(pr "/deploy/k8s/app.yaml", kube())
		if (p % 5 == 1)
			add(pr "/.github/workflows/ci.yml", workflow())
		add(pr "/README.md", source("README"))
		add(pr "/docs/README.md", source("docs"))
		if (p % 12 == 0) {
			for (k = 0; k < 200; k++) {
				nm = pr "/node_modules/pkg" int(k / 10)
				if (k % 10 == 0)
					add(nm "/Dockerfile", dockerfile())
				else if (k % 10 == 1)
					add(nm "/docker-compose.yml", compose())
				else
					add(nm "/lib/f" k ".js", source(k))
			}
		}
	}
	# The rest: source files spread over nested directories.
	for (n = 0; nfiles < total; n++) {
		p = n % nproj
		d = sprintf("p%03d/src/mod%d/sub%d", p, n % 4,
		    int(n / nproj) % 2)
		if (n % 5 == 0)
			d = d "/deep/er"
		e = exts[1 + n % 8]
		add(d "/file" n "." e, source(n))
	}
}'
}

gen dirs | xargs mkdir -p
gen files
echo "gen-tree.sh: $(find . -type f | wc -l) files in $dir"
