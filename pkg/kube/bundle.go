package kube

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// Bundle returns the snapshot as the explain engine's bundle: the same shape
// an offline bundle read from files has, so the engine cannot tell them
// apart. Positions name the objects as NAMESPACE/KIND/NAME.
func (s *Snapshot) Bundle() *bundle.Bundle {
	b := &bundle.Bundle{Files: []string{s.describe()}}
	for i := range s.Authentications {
		a := &s.Authentications[i]
		b.Authentications = append(b.Authentications, &bundle.Authentication{
			BrokerAuthentication: a, Position: a.Namespace + "/brokerauthentication/" + a.Name})
	}
	for i := range s.Listeners {
		l := &s.Listeners[i]
		b.Listeners = append(b.Listeners, &bundle.Listener{
			BrokerListener: l, Position: l.Namespace + "/brokerlistener/" + l.Name})
	}
	for i := range s.ConfigMaps {
		b.ConfigMaps = append(b.ConfigMaps, &s.ConfigMaps[i])
	}
	for i := range s.Secrets {
		b.Secrets = append(b.Secrets, &s.Secrets[i])
	}
	return b
}

func (s *Snapshot) describe() string {
	if s.Namespace == "" {
		return "the cluster (all namespaces)"
	}
	return fmt.Sprintf("namespace %q of the cluster", s.Namespace)
}

// ServiceAccount returns the ServiceAccount ns/name, or nil when it does not
// exist (a token of a deleted account is still worth explaining: the
// TokenReview denies it).
func (c *Client) ServiceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	sa := &corev1.ServiceAccount{}
	if err := c.getObject(ctx, "serviceaccounts", ns, name, sa); err != nil {
		return nil, c.unlessNotFound(err, "serviceaccount", ns, name)
	}
	return sa, nil
}

// Pod returns the Pod ns/name, or nil when it does not exist.
func (c *Client) Pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	if err := c.getObject(ctx, "pods", ns, name, pod); err != nil {
		return nil, c.unlessNotFound(err, "pod", ns, name)
	}
	return pod, nil
}

// unlessNotFound is nil for a NotFound answer (the object does not exist,
// which is an answer), else the failure explained.
func (c *Client) unlessNotFound(err error, resource, ns, name string) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return c.Explain(err, fmt.Sprintf("get %s %q in namespace %q", resource, name, ns))
}

// ObjectFinder returns the client as the explain engine's view of the
// objects service account tokens are bound to: read from the cluster, each
// object once per run, as the API server reads them when it reviews a
// token.
func (c *Client) ObjectFinder() authn.ObjectFinder { return c.objectFinder() }

func (c *Client) objectFinder() *objectFinder {
	return &objectFinder{c: c, seen: map[string]*lookup{}}
}

// ExplainCluster returns the client as explain's cluster (explain.Cluster):
// the broker's resources of a namespace as a bundle, the objects tokens
// are bound to (each read once per run), and the cluster's signing keys.
func (c *Client) ExplainCluster() *ExplainCluster {
	return &ExplainCluster{objectFinder: c.objectFinder()}
}

// ExplainCluster is what explain reads from the cluster.
type ExplainCluster struct{ *objectFinder }

// Bundle reads the broker's resources of namespace, and the ConfigMaps and
// Secrets they reference, in one LIST per resource type.
func (x *ExplainCluster) Bundle(ctx context.Context, namespace string) (*bundle.Bundle, error) {
	snap, err := x.c.ReadSnapshot(ctx, SnapshotOptions{Namespace: namespace})
	if err != nil {
		return nil, err
	}
	return snap.Bundle(), nil
}

// SigningKeys reads the cluster's service account issuer and signing keys
// (its JWKS), so that tokens are verified offline exactly as the cluster
// verifies their signatures.
func (x *ExplainCluster) SigningKeys(ctx context.Context) (*explain.SigningKeys, error) {
	keys, err := x.c.FetchIssuerKeys(ctx)
	if err != nil {
		return nil, err
	}
	ks, err := sat.ParseKeySet(keys.JWKS)
	if err != nil {
		return nil, &ClusterError{Action: "read the service account signing keys (" + JWKSPath + ")", Cause: err.Error(), Err: err, Kind: BadAnswer}
	}
	return &explain.SigningKeys{Keys: ks, Issuer: keys.Issuer, Source: JWKSPath}, nil
}

type objectFinder struct {
	c    *Client
	mu   sync.Mutex
	seen map[string]*lookup
}

// lookup is one object's read: done once, whoever asks first.
type lookup struct {
	once sync.Once
	obj  any
	err  error
}

// cached runs get once per key, also when cases of a batch ask for the
// same object at the same time; a batch names the same few objects many
// times.
func (f *objectFinder) cached(key string, get func() (any, error)) (any, error) {
	f.mu.Lock()
	l, ok := f.seen[key]
	if !ok {
		l = &lookup{}
		f.seen[key] = l
	}
	f.mu.Unlock()
	l.once.Do(func() { l.obj, l.err = get() })
	return l.obj, l.err
}

func (f *objectFinder) ServiceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	obj, err := f.cached("serviceaccount/"+ns+"/"+name, func() (any, error) { return f.c.ServiceAccount(ctx, ns, name) })
	sa, _ := obj.(*corev1.ServiceAccount)
	return sa, err
}

func (f *objectFinder) Pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	obj, err := f.cached("pod/"+ns+"/"+name, func() (any, error) { return f.c.Pod(ctx, ns, name) })
	pod, _ := obj.(*corev1.Pod)
	return pod, err
}

// TokenReviewer returns the client as the explain engine's TokenReview
// verifier, so service account tokens are checked exactly as the broker
// checks them.
func (c *Client) TokenReviewer() authn.TokenReviewer { return tokenReviewer{c} }

type tokenReviewer struct{ c *Client }

func (r tokenReviewer) Review(ctx context.Context, token string, audiences []string) (*authn.TokenReviewStatus, error) {
	res, err := r.c.ReviewToken(ctx, token, audiences)
	if err != nil {
		return nil, err
	}
	return &authn.TokenReviewStatus{
		Authenticated: res.Authenticated,
		Username:      res.Username,
		UID:           res.UID,
		Groups:        res.Groups,
		Audiences:     res.Audiences,
		Error:         res.Error,
	}, nil
}

func (r tokenReviewer) Describe() string {
	return "the API server at " + r.c.Config.Host
}
