package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func caConfigMap(ns, pem string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "client-ca", Namespace: ns},
		Data:       map[string]string{"client_ca.pem": pem},
	}
}

func TestApplyConfigMapLifecycle(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "apply-lifecycle")
	c := adminClient(t, cp, ns)
	ctx := context.Background()
	get := func() *corev1.ConfigMap {
		t.Helper()
		cm, err := clientset(c).CoreV1().ConfigMaps(ns).Get(ctx, "client-ca", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm
	}

	// Import creates it.
	created, err := c.ApplyConfigMap(ctx, caConfigMap("", "first"), ApplyOptions{})
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if created.Namespace != ns || get().Data["client_ca.pem"] != "first" {
		t.Fatalf("first apply stored %v in %q", get().Data, created.Namespace)
	}

	// Re-import updates in place: no "already exists", same object.
	updated, err := c.ApplyConfigMap(ctx, caConfigMap(ns, "second"), ApplyOptions{})
	if err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	if updated.UID != created.UID {
		t.Errorf("re-apply replaced the object (uid %s -> %s), want an update in place", created.UID, updated.UID)
	}
	stored := get()
	if stored.Data["client_ca.pem"] != "second" {
		t.Errorf("after re-apply data = %v, want second", stored.Data)
	}

	// A server dry run answers with the would-be object and stores nothing.
	dry, err := c.ApplyConfigMap(ctx, caConfigMap(ns, "third"), ApplyOptions{DryRunServer: true})
	if err != nil {
		t.Fatalf("server dry run: %v", err)
	}
	if dry.Data["client_ca.pem"] != "third" {
		t.Errorf("dry run answered data %v, want the new data", dry.Data)
	}
	after := get()
	if after.ResourceVersion != stored.ResourceVersion || after.Data["client_ca.pem"] != "second" {
		t.Errorf("server dry run changed the stored object: resourceVersion %s -> %s, data %v",
			stored.ResourceVersion, after.ResourceVersion, after.Data)
	}

	// The field manager is recorded, as an Apply operation owning the data.
	var found bool
	for _, mf := range after.ManagedFields {
		if mf.Manager == FieldManager {
			found = true
			if mf.Operation != metav1.ManagedFieldsOperationApply {
				t.Errorf("manager %s operation = %s, want Apply", FieldManager, mf.Operation)
			}
			if mf.FieldsV1 == nil || !strings.Contains(string(mf.FieldsV1.Raw), "client_ca.pem") {
				t.Errorf("manager %s does not own data.client_ca.pem: %s", FieldManager, mf.FieldsV1)
			}
		}
	}
	if !found {
		t.Errorf("managedFields %+v has no entry for %s", after.ManagedFields, FieldManager)
	}
}

func TestApplyConfigMapConflicts(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "apply-conflicts")
	c := adminClient(t, cp, ns)
	ctx := context.Background()

	if _, err := c.ApplyConfigMap(ctx, caConfigMap(ns, "ours"), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	// Someone edits the key by hand (kubectl edit is an Update by manager
	// kubectl-edit): the field changes owner.
	patch := []byte(`{"data":{"client_ca.pem":"edited"}}`)
	if _, err := clientset(c).CoreV1().ConfigMaps(ns).Patch(ctx, "client-ca", types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}

	_, err := c.ApplyConfigMap(ctx, caConfigMap(ns, "ours again"), ApplyOptions{})
	if err == nil {
		t.Fatal("apply over a field another manager owns succeeded, want a conflict")
	}
	if ce := (*ClusterError)(nil); !errors.As(err, &ce) || ce.Kind != Rejected {
		t.Errorf("conflict: %#v, want a *ClusterError of kind %v", err, Rejected)
	}
	if msg := err.Error(); !strings.Contains(msg, "conflict") || !strings.Contains(msg, "kubectl-edit") || strings.Contains(msg, "\n") {
		t.Errorf("conflict error = %q, want one line naming the conflict and the other manager", msg)
	}
	if !apierrors.IsConflict(err) {
		t.Errorf("conflict error does not wrap the API's Conflict: %v", err)
	}

	if _, err := c.ApplyConfigMap(ctx, caConfigMap(ns, "ours again"), ApplyOptions{ForceConflicts: true}); err != nil {
		t.Fatalf("apply with ForceConflicts: %v", err)
	}
	cm, err := clientset(c).CoreV1().ConfigMaps(ns).Get(ctx, "client-ca", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["client_ca.pem"] != "ours again" {
		t.Errorf("after a forced apply data = %v", cm.Data)
	}
}
