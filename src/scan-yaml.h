/*
 * References in YAML sources read with libyaml: compose services, Kubernetes
 * containers, GitHub Actions workflows and GitLab CI.
 */
#ifndef SCAN_YAML_H
#define SCAN_YAML_H

#include <stddef.h>

#include "scan.h"

void	scan_yaml(struct scan_result *, const char *file, enum scan_kind,
	    const char *buf, size_t len);

#endif
