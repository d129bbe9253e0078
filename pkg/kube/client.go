// Package kube is the tool's only door to a cluster: it builds client-go
// clients from the standard kubectl flags, applies objects with server-side
// apply, asks for and reviews service account tokens, fetches the cluster's
// service account signing keys, and reads the broker's resources (with what
// they reference) in a bounded number of LIST calls.
//
// Every error it returns for a cluster call is a *ClusterError of one line
// that names the cause and says what kind of failure it is (see Explain),
// and every error building a client is a *ConfigError, so commands can
// return them as they are.
package kube

import (
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
)

// FieldManager is the field manager of every write the tool makes, so
// `kubectl get -o yaml --show-managed-fields` shows which fields it owns.
const FieldManager = "kubectl-aio-authn"

// Client talks to one cluster as one user.
type Client struct {
	// Config is the client configuration the clients were built from.
	Config *rest.Config
	// core and authentication are the REST clients of the built-in groups
	// the tool uses (see rest.go).
	core, authentication rest.Interface
	// Dynamic reads and writes the broker's custom resources.
	Dynamic dynamic.Interface
	// Namespace is the namespace the command works in: -n, else the
	// kubeconfig context's, else "default".
	Namespace string
	// Context names the kubeconfig context in use, for messages; empty
	// when the configuration did not come from a kubeconfig file.
	Context string
}

// BrokerNamespace is the namespace a command about the broker works in: -n
// when given, else the broker's (api.BrokerNamespace), not the kubeconfig
// context's, which is rarely where the broker runs.
func BrokerNamespace(flags *ConfigFlags) string {
	if flags != nil && flags.Namespace != nil && *flags.Namespace != "" {
		return *flags.Namespace
	}
	return api.BrokerNamespace
}

// NewClient builds a Client from the kubectl flags (--kubeconfig, --context,
// -n, --as, ...). A missing or broken kubeconfig is a *ConfigError of one
// line.
func NewClient(flags *ConfigFlags) (*Client, error) {
	if err := checkKubeconfigs(flags); err != nil {
		return nil, configErrorf(err, "kubeconfig: %v", err)
	}
	loader := flags.ToRawKubeConfigLoader()
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, explainConfigError(err, flags)
	}
	// With no kubeconfig at all, client-go falls back to
	// http://localhost:8080, which only ever yields a puzzling "connection
	// refused"; say what is really missing instead.
	if raw, err := loader.RawConfig(); err == nil && len(raw.Clusters) == 0 &&
		(flags.APIServer == nil || *flags.APIServer == "") {
		if _, inCluster := rest.InClusterConfig(); inCluster != nil {
			return nil, explainConfigError(clientcmd.ErrEmptyConfig, flags)
		}
	}
	ns, _, err := loader.Namespace()
	if err != nil {
		return nil, explainConfigError(err, flags)
	}
	c, err := NewClientForConfig(cfg, ns)
	if err != nil {
		return nil, err
	}
	if flags.Context != nil && *flags.Context != "" {
		c.Context = *flags.Context
	} else if raw, err := loader.RawConfig(); err == nil {
		c.Context = raw.CurrentContext
	}
	return c, nil
}

// NewClientForConfig builds a Client from a rest.Config, for callers (tests,
// embedding programs) that have one already; namespace "" means "default".
func NewClientForConfig(cfg *rest.Config, namespace string) (*Client, error) {
	if namespace == "" {
		namespace = "default"
	}
	// The tool makes a handful of calls per command; client-side throttling
	// at client-go's defaults (5 QPS) would only add latency to bursts such
	// as an audit's LISTs.
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS = 50
	}
	if cfg.Burst == 0 {
		cfg.Burst = 100
	}
	c, err := newClients(cfg)
	if err != nil {
		return nil, configErrorf(err, "building a client for %s: %v", cfg.Host, err)
	}
	c.Namespace = namespace
	return c, nil
}

// newClients builds the clients of cfg sharing one transport; the two
// built-in groups share one rate limiter, as client-go's clientset shares
// it among its groups.
func newClients(cfg *rest.Config) (*Client, error) {
	builtin := *cfg
	if builtin.UserAgent == "" {
		builtin.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	hc, err := rest.HTTPClientFor(&builtin)
	if err != nil {
		return nil, err
	}
	if builtin.RateLimiter == nil && builtin.QPS > 0 {
		if builtin.Burst <= 0 {
			return nil, fmt.Errorf("burst is required to be greater than 0 when RateLimiter is not set and QPS is set to greater than 0")
		}
		builtin.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(builtin.QPS, builtin.Burst)
	}
	core, err := restClientFor(&builtin, hc, "/api", corev1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	authentication, err := restClientFor(&builtin, hc, "/apis", authenticationv1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfigAndClient(dynamic.ConfigFor(cfg), hc)
	if err != nil {
		return nil, err
	}
	return &Client{Config: cfg, core: core, authentication: authentication, Dynamic: dyn}, nil
}
