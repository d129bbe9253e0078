package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// explainCluster is the cluster half of explain: --from-cluster reads the
// bundle from the cluster, --token-review verifies tokens with the
// TokenReview API. The engine stays I/O-free: it gets a bundle and a
// verifier either way.
type explainCluster struct {
	fromCluster bool
	tokenReview bool

	reviewer authn.TokenReviewer
	objects  authn.ObjectFinder
}

func (x *explainCluster) addFlags(c *cobra.Command, o *rootOptions) {
	f := c.Flags()
	f.BoolVar(&x.fromCluster, "from-cluster", false, "read the BrokerAuthentications, BrokerListeners and what they reference from the cluster (-n, default azure-iot-operations) instead of -f")
	f.BoolVar(&x.tokenReview, "token-review", false, tokenReviewUsage)
	o.addKubeFlags(c)
}

// readBundle reads the bundle from -f or, with --from-cluster, from the
// cluster, and sets up the token verifier the cluster flags ask for.
func (e *explainOptions) readBundle(ctx context.Context) (*bundle.Bundle, error) {
	x := &e.cluster
	switch {
	case x.fromCluster && len(e.files) > 0:
		return nil, exitcode.Usagef("-f and --from-cluster both give the bundle: drop one")
	case !x.fromCluster && len(e.files) == 0:
		return nil, exitcode.Usagef("no bundle: give the manifests with -f, or read them from the cluster with --from-cluster")
	}
	if err := e.checkTokenReview(x.tokenReview); err != nil {
		return nil, err
	}
	if !x.fromCluster && !x.tokenReview {
		return bundle.Read(e.files, e.In, e.limits)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	client, err := kube.NewClient(e.kube)
	if err != nil {
		return nil, err
	}
	if x.tokenReview {
		x.reviewer = client.TokenReviewer()
	}
	if !x.fromCluster {
		return bundle.Read(e.files, e.In, e.limits)
	}

	ns := kube.BrokerNamespace(e.kube)
	snap, err := client.ReadSnapshot(ctx, kube.SnapshotOptions{Namespace: ns})
	if err != nil {
		return nil, err
	}
	if len(snap.Authentications) == 0 {
		return nil, exitcode.Usagef("namespace %q has no BrokerAuthentication: give the broker's namespace with -n", ns)
	}
	b := snap.Bundle()
	// The ServiceAccounts and Pods tokens are bound to are read as the
	// engine needs them: a token's ServiceAccount gives the client's
	// attributes (its aio-broker-auth/ annotations), and a token verified
	// offline is valid only while they exist, as the API server checks.
	x.objects = client.ObjectFinder()
	if !x.tokenReview && e.issuerKey == "" && (len(e.caseTokens()) > 0 || e.batch != "") {
		keys, err := client.FetchIssuerKeys(ctx)
		if err != nil {
			return nil, exitcode.Usagef("%v; or verify tokens with --token-review", err)
		}
		ks, err := sat.ParseKeySet(keys.JWKS)
		if err != nil {
			return nil, exitcode.Usagef("the cluster's %s: %v", kube.JWKSPath, err)
		}
		e.keys = ks
		// The discovery document names the issuer the cluster signs
		// with; an API server may accept more (--sat-issuer adds them).
		if keys.Issuer != "" {
			e.issuers = append(e.issuers, keys.Issuer)
		}
		fmt.Fprintf(e.ErrOut, "note: verifying service account tokens offline with the cluster's signing keys (%s, issuer %s); --token-review asks the API server instead, as the broker does\n",
			kube.JWKSPath, keys.Issuer)
	}
	return b, nil
}

// caseTokens returns the service account tokens the command line gives
// (--sat-file, or K8S-SAT enhanced authentication data); unreadable files
// are left for the engine to report.
func (e *explainOptions) caseTokens() []string {
	c := e.c
	var tokens []string
	read := func(path string) {
		if data, err := input.ReadFile(path, input.Token); err == nil {
			tokens = append(tokens, strings.TrimSpace(string(data)))
		}
	}
	if c.SATFile != "" {
		read(c.SATFile)
	}
	if c.AuthMethod == authn.SATMethod {
		if c.AuthDataFile != "" {
			read(c.AuthDataFile)
		}
		if c.AuthData != nil {
			tokens = append(tokens, strings.TrimSpace(*c.AuthData))
		}
	}
	return tokens
}
