package kube

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/client-go/rest"
)

// Paths of the API server's service account issuer discovery (OIDC).
const (
	JWKSPath      = "/openid/v1/jwks"
	DiscoveryPath = "/.well-known/openid-configuration"
)

// IssuerKeys is what the cluster publishes about its service account
// token signer.
type IssuerKeys struct {
	// Issuer is the iss claim of the tokens the cluster signs.
	Issuer string
	// JWKS is the JSON Web Key Set of its public keys, as served.
	JWKS []byte
}

// FetchIssuerKeys reads the cluster's service account issuer and its public
// signing keys, so that tokens can be verified offline exactly as the
// cluster would verify their signatures. Reading them needs the
// system:service-account-issuer-discovery role (granted to service
// accounts by default, not to every user).
func (c *Client) FetchIssuerKeys(ctx context.Context) (*IssuerKeys, error) {
	rc := c.core
	raw, err := getRaw(ctx, rc, DiscoveryPath)
	if err != nil {
		return nil, c.Explain(err, "read the service account issuer ("+DiscoveryPath+")")
	}
	var discovery struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal(raw, &discovery); err != nil {
		return nil, &ClusterError{Action: "read the service account issuer (" + DiscoveryPath + ")", Cause: fmt.Sprintf("the answer is not JSON: %v", err), Kind: BadAnswer, Err: err}
	}
	jwks, err := getRaw(ctx, rc, JWKSPath)
	if err != nil {
		return nil, c.Explain(err, "read the service account signing keys ("+JWKSPath+")")
	}
	return &IssuerKeys{Issuer: discovery.Issuer, JWKS: jwks}, nil
}

// getRaw GETs a non-resource path. Unlike DoRaw, it decodes the Status of a
// refusal, so the error keeps the server's reason (who may not get what).
func getRaw(ctx context.Context, rc rest.Interface, path string) ([]byte, error) {
	res := rc.Get().AbsPath(path).Do(ctx)
	if err := res.Error(); err != nil {
		return nil, err
	}
	return res.Raw()
}
