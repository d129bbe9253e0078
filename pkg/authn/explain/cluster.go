package explain

import (
	"context"
	"fmt"
	"slices"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// Cluster is a live cluster that explain reads instead of files
// (--from-cluster): the broker's resources, the ServiceAccounts and Pods
// service account tokens are bound to, and the keys the cluster signs
// tokens with. It must be safe for concurrent use; pkg/kube's Client
// provides one.
type Cluster interface {
	// ServiceAccount and Pod read the objects a token is bound to, as the
	// API server reads them when it reviews the token.
	authn.ObjectFinder
	// Bundle reads the BrokerAuthentications and BrokerListeners of a
	// namespace with the ConfigMaps and Secrets they reference: the shape
	// of a bundle read from files.
	Bundle(ctx context.Context, namespace string) (*bundle.Bundle, error)
	// SigningKeys reads the keys the cluster signs service account tokens
	// with, and the issuer it names in them.
	SigningKeys(ctx context.Context) (*SigningKeys, error)
}

// SigningKeys are the keys a cluster signs service account tokens with.
type SigningKeys struct {
	Keys *sat.KeySet
	// Issuer is the iss claim of the tokens the cluster signs; "" when the
	// cluster does not say.
	Issuer string
	// Source names where the keys were read, for the note that says so.
	Source string
}

// ReadCluster reads the bundle of a namespace of the cluster. A namespace
// without a BrokerAuthentication has nothing to explain: a *bundle.Error
// that says to choose the broker's namespace.
func ReadCluster(ctx context.Context, c Cluster, namespace string) (*bundle.Bundle, error) {
	b, err := c.Bundle(ctx, namespace)
	if err != nil {
		return nil, err
	}
	if len(b.Authentications) == 0 {
		return nil, &bundle.Error{Msg: fmt.Sprintf("namespace %q has no BrokerAuthentication: give the broker's namespace with -n", namespace)}
	}
	return b, nil
}

// clusterKeys lets the cluster's own keys verify service account tokens
// that nothing else would: the first case that presents a token, when the
// Runner has a Cluster but neither offline keys nor a TokenReview, reads
// them, and every engine built from then on verifies with them. The error
// is why the cluster could not tell; tokens then stay unverified, which
// can deny but not grant.
func (r *Runner) clusterKeys(ctx context.Context) error {
	r.keysOnce.Do(func() {
		r.mu.Lock()
		need := r.Cluster != nil && r.Options.Keys == nil && r.Options.TokenReview == nil
		r.mu.Unlock()
		if !need {
			return
		}
		keys, err := r.Cluster.SigningKeys(ctx)
		if err != nil {
			r.keysErr = err
			return
		}
		r.mu.Lock()
		r.Options.Keys = keys.Keys
		// The cluster names the issuer it signs with; an API server may
		// accept more, which --sat-issuer adds.
		if keys.Issuer != "" && !slices.Contains(r.Options.Issuers, keys.Issuer) {
			r.Options.Issuers = append(slices.Clip(r.Options.Issuers), keys.Issuer)
		}
		// Engines built for earlier cases (without a token) lack the keys.
		r.engines = nil
		r.mu.Unlock()
		if r.Note != nil {
			r.Note(fmt.Sprintf("verifying service account tokens offline with the cluster's signing keys (%s, issuer %s); --token-review asks the API server instead, as the broker does",
				keys.Source, keys.Issuer))
		}
	})
	return r.keysErr
}

// keysWarning says on a token's decision why the cluster's keys are not
// verifying it.
func keysWarning(err error) string {
	return "the cluster's service account signing keys could not be read, so the token's signature is not checked: " + err.Error() +
		"; verify tokens with --token-review, or give the keys with --sat-issuer-key"
}
