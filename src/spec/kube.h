/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Kubernetes Pod manifests in and out (man tank-pod(5), "KUBERNETES FORM").
 *
 * kube_parse_many() reads a YAML stream (yaml-tree.h caps: size, depth, node
 * count with aliases expanded, tags refused) holding `kind: Pod` documents
 * (`apiVersion: v1`), `kind: List` documents of Pods, or several of either
 * separated by `---`. Each Pod is translated to Tank's JSON spec and then
 * validated by pod_parse(), exactly like a JSON spec: the result is a Pod.
 *
 * Strict: an unknown field, kind or apiVersion is refused, and so is a field
 * Kubernetes knows that Tank does not support; the message names the document
 * (1-based), the path in the YAML and where libyaml saw it:
 *   document 2: spec.containers[0].ports[0].hostPort: not supported by Tank (line 14, column 9)
 * What Tank means to support later (tank.io/placement) says "not supported by
 * Tank yet". emptyDir is Tank's empty volume ("source": {"empty": {}}), removed
 * with the pod; its medium must be the default and its sizeLimit is unsupported.
 * With ignore_unsupported, such known
 * but unsupported fields are dropped instead, each with one line in
 * *ret_warnings (unknown fields, kinds and apiVersions stay refusals: a typo is
 * never silently dropped). A fault found by pod_parse() in the translated spec
 * is named the same way, at the YAML node that produced the faulty value (the
 * translation keeps a table of Tank path -> YAML path and node):
 *   document 2: items[1].spec.containers[0].name: must be a lowercase DNS label ... (line 21, column 13)
 * and inside an annotation's JSON fragment by the path within it:
 *   document 1: metadata.annotations.tank.io/network: nics[0].ip: must be ... (line 6, column 22)
 *
 * Tank-only fields ride in annotations whose values are Tank JSON fragments:
 * `tank.io/network` (the spec's "network" value) and `tank.io/container.NAME`
 * (an object with "limits" holding "pids" and/or "cpu", and the container's
 * "notify" and "watchdog_sec").
 *
 * Probes: livenessProbe, readinessProbe and startupProbe with exec, httpGet or
 * tcpSocket become the container's "probes"; a named port is refused (always:
 * it cannot be ignored without losing the probe), grpc, tcpSocket.host and a
 * probe's terminationGracePeriodSeconds are unsupported (an ignored grpc drops
 * its probe), and 0 in periodSeconds, timeoutSeconds, successThreshold or
 * failureThreshold is the default, as Kubernetes' defaulting makes it.
 *
 * kube_serialize() writes a Pod as such a manifest; kube_parse_many() of it
 * gives back a Pod with the same canonical JSON (hence the same hashes). */

#include "pod.h"

/* Is this text JSON (first non-blank byte '{' or '['), as opposed to YAML? */
bool spec_text_is_json(const char *text, size_t len);

int kube_parse_many(const char *yaml, size_t len, size_t max_len, bool ignore_unsupported,
                    Pod ***ret, size_t *ret_n, char ***ret_warnings, char **ret_error);

/* -EOPNOTSUPP with *ret_error for a pod Kubernetes' form cannot carry (an image
 * given as a rootfs, or any field the manifest would lose: the output is read
 * back and must give the same canonical JSON). */
int kube_serialize(const Pod *p, char **ret_yaml, char **ret_error);

/* Kubernetes quantities ("512Mi", "1.5G", "1e3", "500m", "0.5"), the value
 * times 10^scale10 as an exact integer (scale10 3: millicores). -EDOM if that is
 * not a whole number, -ERANGE if it is above INT64_MAX or not positive,
 * -EINVAL if it is not a quantity. */
int kube_quantity_parse(const char *s, unsigned scale10, uint64_t *ret);
