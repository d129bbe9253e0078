package kube

import (
	"context"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// The broker's resources, read in their v1 (GA) version.
var (
	BrokerAuthenticationsResource = v1.SchemeGroupVersion.WithResource("brokerauthentications")
	BrokerListenersResource       = v1.SchemeGroupVersion.WithResource("brokerlisteners")
)

// DefaultPageSize is how many objects one LIST call returns at most: large
// enough that a namespace of hundreds of pods is one call, small enough to
// keep each answer's size reasonable on big clusters.
const DefaultPageSize = 500

// SnapshotOptions says what ReadSnapshot reads.
type SnapshotOptions struct {
	// Namespace to read; "" is the client's. Ignored with AllNamespaces.
	Namespace string
	// AllNamespaces reads every namespace, one LIST per resource type.
	AllNamespaces bool
	// Pods also reads the pods (audit checks their projected tokens).
	Pods bool
	// PageSize bounds the objects per LIST call; 0 is DefaultPageSize.
	PageSize int64
}

// Snapshot is the broker's authentication configuration as a cluster holds
// it: the same resources an offline bundle holds, read live.
type Snapshot struct {
	// Namespace read, or "" for all namespaces.
	Namespace       string
	Authentications []v1.BrokerAuthentication
	Listeners       []v1.BrokerListener
	// ConfigMaps and Secrets are those the broker resources reference that
	// exist; a reference with no object here is missing from the cluster.
	ConfigMaps []corev1.ConfigMap
	Secrets    []corev1.Secret
	// Pods are read only when SnapshotOptions.Pods is set.
	Pods []corev1.Pod
	// Undecodable lists broker resources the cluster holds that do not
	// decode as v1 (stored by an older API generation, say).
	Undecodable []UndecodableObject
	// Objects are the broker resources as the server sent them
	// (BrokerAuthentications first, then BrokerListeners, each in list
	// order), undecodable ones included, for checks that read them the way
	// `kubectl get -o yaml` shows them.
	Objects []unstructured.Unstructured
}

// UndecodableObject is a broker resource that could not be read as v1.
type UndecodableObject struct {
	Kind, Namespace, Name string
	Err                   error
}

// Key identifies a namespaced object.
type Key struct{ Namespace, Name string }

// ConfigMap returns the ConfigMap ns/name, or nil when the cluster has none.
func (s *Snapshot) ConfigMap(ns, name string) *corev1.ConfigMap {
	for i := range s.ConfigMaps {
		if s.ConfigMaps[i].Namespace == ns && s.ConfigMaps[i].Name == name {
			return &s.ConfigMaps[i]
		}
	}
	return nil
}

// Secret returns the Secret ns/name, or nil when the cluster has none.
func (s *Snapshot) Secret(ns, name string) *corev1.Secret {
	for i := range s.Secrets {
		if s.Secrets[i].Namespace == ns && s.Secrets[i].Name == name {
			return &s.Secrets[i]
		}
	}
	return nil
}

// Authentication returns the BrokerAuthentication ns/name, or nil.
func (s *Snapshot) Authentication(ns, name string) *v1.BrokerAuthentication {
	for i := range s.Authentications {
		if s.Authentications[i].Namespace == ns && s.Authentications[i].Name == name {
			return &s.Authentications[i]
		}
	}
	return nil
}

// Listener returns the BrokerListener ns/name, or nil.
func (s *Snapshot) Listener(ns, name string) *v1.BrokerListener {
	for i := range s.Listeners {
		if s.Listeners[i].Namespace == ns && s.Listeners[i].Name == name {
			return &s.Listeners[i]
		}
	}
	return nil
}

// ConfigMapRefs returns the ConfigMaps the authentications reference
// (trusted client CAs, custom auth server CAs), sorted.
func ConfigMapRefs(authns []v1.BrokerAuthentication) []Key {
	seen := map[Key]bool{}
	for _, a := range authns {
		for _, m := range a.Spec.AuthenticationMethods {
			switch {
			case m.Method == v1.MethodX509:
				name := v1.DefaultTrustedClientCACert
				if m.X509Settings != nil && m.X509Settings.TrustedClientCACert != "" {
					name = m.X509Settings.TrustedClientCACert
				}
				seen[Key{a.Namespace, name}] = true
			case m.Method == v1.MethodCustom && m.CustomSettings != nil && m.CustomSettings.CACertConfigMap != "":
				seen[Key{a.Namespace, m.CustomSettings.CACertConfigMap}] = true
			}
		}
	}
	return sortedKeys(seen)
}

// SecretRefs returns the Secrets the resources reference (the custom auth
// client certificate, listener ports' manual TLS certificates), sorted.
func SecretRefs(authns []v1.BrokerAuthentication, listeners []v1.BrokerListener) []Key {
	seen := map[Key]bool{}
	for _, a := range authns {
		for _, m := range a.Spec.AuthenticationMethods {
			if m.Method == v1.MethodCustom && m.CustomSettings != nil && m.CustomSettings.Auth != nil && m.CustomSettings.Auth.X509.SecretRef != "" {
				seen[Key{a.Namespace, m.CustomSettings.Auth.X509.SecretRef}] = true
			}
		}
	}
	for _, l := range listeners {
		for _, p := range l.Spec.Ports {
			if p.TLS != nil && p.TLS.Mode == v1.TLSModeManual && p.TLS.Manual != nil && p.TLS.Manual.SecretRef != "" {
				seen[Key{l.Namespace, p.TLS.Manual.SecretRef}] = true
			}
		}
	}
	return sortedKeys(seen)
}

func sortedKeys(m map[Key]bool) []Key {
	keys := make([]Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Namespace != keys[j].Namespace {
			return keys[i].Namespace < keys[j].Namespace
		}
		return keys[i].Name < keys[j].Name
	})
	return keys
}

// ReadSnapshot reads the broker's resources and what they reference with a
// bounded number of LIST calls, whatever the number of objects: one per
// resource type (BrokerAuthentication, BrokerListener, and ConfigMap,
// Secret and Pod when needed) per DefaultPageSize objects. ConfigMaps and
// Secrets are listed only when something references them, and only the
// referenced ones are kept.
func (c *Client) ReadSnapshot(ctx context.Context, opts SnapshotOptions) (*Snapshot, error) {
	ns := opts.Namespace
	if ns == "" {
		ns = c.Namespace
	}
	if opts.AllNamespaces {
		ns = metav1.NamespaceAll
	}
	pageSize := opts.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	s := &Snapshot{Namespace: ns}

	authns, err := c.listBroker(ctx, BrokerAuthenticationsResource, api.KindBrokerAuthentication, ns, pageSize)
	if err != nil {
		return nil, err
	}
	s.Objects = append(s.Objects, authns...)
	for _, u := range authns {
		a, err := decodeBroker(u, api.DecodeBrokerAuthentication)
		if err != nil {
			s.Undecodable = append(s.Undecodable, UndecodableObject{api.KindBrokerAuthentication, u.GetNamespace(), u.GetName(), err})
			continue
		}
		s.Authentications = append(s.Authentications, *a)
	}
	listeners, err := c.listBroker(ctx, BrokerListenersResource, api.KindBrokerListener, ns, pageSize)
	if err != nil {
		return nil, err
	}
	s.Objects = append(s.Objects, listeners...)
	for _, u := range listeners {
		l, err := decodeBroker(u, api.DecodeBrokerListener)
		if err != nil {
			s.Undecodable = append(s.Undecodable, UndecodableObject{api.KindBrokerListener, u.GetNamespace(), u.GetName(), err})
			continue
		}
		s.Listeners = append(s.Listeners, *l)
	}

	if refs := ConfigMapRefs(s.Authentications); len(refs) > 0 {
		wanted := keySet(refs)
		err := listPages(ctx, pageSize, func(o metav1.ListOptions) (string, error) {
			list := &corev1.ConfigMapList{}
			if err := c.listObjects(ctx, "configmaps", ns, o, list); err != nil {
				return "", err
			}
			for _, cm := range list.Items {
				if wanted[Key{cm.Namespace, cm.Name}] {
					s.ConfigMaps = append(s.ConfigMaps, cm)
				}
			}
			return list.Continue, nil
		})
		if err != nil {
			return nil, c.Explain(err, "list configmaps"+inNamespace(ns))
		}
	}
	if refs := SecretRefs(s.Authentications, s.Listeners); len(refs) > 0 {
		wanted := keySet(refs)
		err := listPages(ctx, pageSize, func(o metav1.ListOptions) (string, error) {
			list := &corev1.SecretList{}
			if err := c.listObjects(ctx, "secrets", ns, o, list); err != nil {
				return "", err
			}
			for _, sec := range list.Items {
				if wanted[Key{sec.Namespace, sec.Name}] {
					s.Secrets = append(s.Secrets, sec)
				}
			}
			return list.Continue, nil
		})
		if err != nil {
			return nil, c.Explain(err, "list secrets"+inNamespace(ns))
		}
	}
	if opts.Pods {
		err := listPages(ctx, pageSize, func(o metav1.ListOptions) (string, error) {
			list := &corev1.PodList{}
			if err := c.listObjects(ctx, "pods", ns, o, list); err != nil {
				return "", err
			}
			s.Pods = append(s.Pods, list.Items...)
			return list.Continue, nil
		})
		if err != nil {
			return nil, c.Explain(err, "list pods"+inNamespace(ns))
		}
	}
	return s, nil
}

// decodeBroker decodes a broker resource read from the cluster with the
// same decoder as manifests from files, so that both give the same API
// types (enum values in canonical spelling, say).
func decodeBroker[T any](u unstructured.Unstructured, decode func(string, []byte) (*T, []string, error)) (*T, error) {
	data, err := u.MarshalJSON()
	if err != nil {
		return nil, err
	}
	obj, _, err := decode(u.GetAPIVersion(), data)
	return obj, err
}

// listBroker lists one of the broker's resource types. A cluster that does
// not serve it (no broker, no CRDs) gets an error that says so.
func (c *Client) listBroker(ctx context.Context, gvr schema.GroupVersionResource, kind, ns string, pageSize int64) ([]unstructured.Unstructured, error) {
	var items []unstructured.Unstructured
	err := listPages(ctx, pageSize, func(o metav1.ListOptions) (string, error) {
		list, err := c.Dynamic.Resource(gvr).Namespace(ns).List(ctx, o)
		if err != nil {
			return "", err
		}
		items = append(items, list.Items...)
		return list.GetContinue(), nil
	})
	if err == nil {
		return items, nil
	}
	action := "list " + gvr.Resource + inNamespace(ns)
	var status apierrors.APIStatus
	if errors.As(err, &status) && apierrors.IsNotFound(err) {
		if d := status.Status().Details; d == nil || d.Name == "" {
			return nil, &ClusterError{Action: action, Kind: Rejected, Err: err,
				Cause: fmt.Sprintf("the cluster does not serve %s.%s/%s: the broker (its %s CRD) is not installed", gvr.Resource, gvr.Group, gvr.Version, kind)}
		}
	}
	return nil, c.Explain(err, action)
}

// listPages calls list until the server says there is no more, passing the
// continue token along.
func listPages(ctx context.Context, pageSize int64, list func(metav1.ListOptions) (string, error)) error {
	opts := metav1.ListOptions{Limit: pageSize}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := list(opts)
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		opts.Continue = next
	}
}

func keySet(keys []Key) map[Key]bool {
	m := make(map[Key]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func inNamespace(ns string) string {
	if ns == "" {
		return " in all namespaces"
	}
	return fmt.Sprintf(" in namespace %q", ns)
}
