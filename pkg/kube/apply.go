package kube

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ApplyOptions are kubectl's server-side apply switches.
type ApplyOptions struct {
	// DryRunServer sends the request with dryRun=All: the server admits,
	// validates and answers as for a real write, and stores nothing.
	DryRunServer bool
	// ForceConflicts takes over fields another field manager owns instead
	// of failing with a conflict (kubectl apply --force-conflicts).
	ForceConflicts bool
}

// ApplyConfigMap creates or updates cm with server-side apply as
// FieldManager, in cm's namespace (the client's when cm has none), and
// returns the object as the server stored it (or would have, in a dry run).
// A second apply of the same ConfigMap updates it in place; fields the tool
// no longer sets are removed, fields other managers own are kept.
func (c *Client) ApplyConfigMap(ctx context.Context, cm *corev1.ConfigMap, opts ApplyOptions) (*corev1.ConfigMap, error) {
	cm = cm.DeepCopy()
	if cm.Namespace == "" {
		cm.Namespace = c.Namespace
	}
	// Server-side apply wants a fully specified object: type meta set, and
	// nothing the server owns (resourceVersion, uid, managedFields).
	cm.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}
	cm.ResourceVersion, cm.UID, cm.ManagedFields, cm.CreationTimestamp = "", "", nil, metav1.Time{}
	body, err := json.Marshal(cm)
	if err != nil {
		return nil, fmt.Errorf("encoding configmap/%s: %w", cm.Name, err)
	}
	patch := metav1.PatchOptions{FieldManager: FieldManager, Force: &opts.ForceConflicts}
	if opts.DryRunServer {
		patch.DryRun = []string{metav1.DryRunAll}
	}
	out := &corev1.ConfigMap{}
	if err := c.patchObject(ctx, "configmaps", cm.Namespace, cm.Name, types.ApplyPatchType, body, patch, out); err != nil {
		return nil, c.Explain(err, fmt.Sprintf("apply configmap/%s in namespace %q", cm.Name, cm.Namespace))
	}
	return out, nil
}
