/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Admission of a pod's network against this host and the other pods: at
 * Apply (reconciler_check_admission(), reconciler.h) and again before a
 * container's bring-up (reconcile_check_bringup()), for specs that reached the
 * store past this tankd's admission. What a mode asks of the host and whether
 * its addresses are exclusive are the mode's own (net/netmode.h). */

#include "reconcile/podstate.h"

/* -EINVAL with *ret_reason when another desired pod keeps an address of p's:
 * the pod that holds it (a container of it is not waiting or failed), else
 * the one written first. */
int reconcile_check_bringup(Reconciler *rc, PodState *p, char **ret_reason);
