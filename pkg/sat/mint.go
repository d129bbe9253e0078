package sat

import (
	"crypto"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.step.sm/crypto/jose"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// DefaultIssuer is the "iss" of tokens from a cluster that kept the default
// --service-account-issuer.
const DefaultIssuer = "https://kubernetes.default.svc.cluster.local"

// DefaultDuration is how long a minted token lives unless told otherwise.
const DefaultDuration = time.Hour

// uidSpace namespaces the UIDs Mint derives from object names, so the same
// service account always gets the same UID, as it would in a cluster.
var uidSpace = uuid.MustParse("6a3a1c52-7f0e-4a43-9d67-5b1d0f2a9c11")

// MintSpec describes a token to mint offline, shaped like a bound token from
// the TokenRequest API.
type MintSpec struct {
	// Key signs the token: RSA (RS256) or EC P-256 (ES256).
	Key crypto.Signer
	// ServiceAccount and Namespace make "sub" and "kubernetes.io".
	ServiceAccount string
	Namespace      string
	// Audiences become "aud"; at least one.
	Audiences []string
	// Duration is the lifetime from IssuedAt; must be positive.
	Duration time.Duration
	// Issuer is "iss"; empty means DefaultIssuer.
	Issuer string
	// Pod, when set, binds the token to a pod of that name.
	Pod string
	// NotBefore is "nbf"; zero means the issue time.
	NotBefore time.Time
	// Now is the issue time ("iat"); zero means time.Now().
	Now time.Time
}

// boundClaims are the claims of a bound token, in the JSON shape
// kube-apiserver writes (pkg/serviceaccount/claims.go). The audience is
// always a list, even of one, as the API server writes it.
type boundClaims struct {
	Issuer     string            `json:"iss"`
	Subject    string            `json:"sub"`
	Audience   []string          `json:"aud"`
	Expiry     *jose.NumericDate `json:"exp"`
	NotBefore  *jose.NumericDate `json:"nbf"`
	IssuedAt   *jose.NumericDate `json:"iat"`
	ID         string            `json:"jti"`
	Kubernetes kubernetesClaim   `json:"kubernetes.io"`
}

type kubernetesClaim struct {
	Namespace      string     `json:"namespace"`
	ServiceAccount objectRef  `json:"serviceaccount"`
	Pod            *objectRef `json:"pod,omitempty"`
}

type objectRef struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// Mint signs a token for spec. The header carries alg and the Kubernetes
// kid of the key, nothing else, like a cluster's tokens.
func Mint(spec MintSpec) (string, error) {
	if spec.Key == nil {
		return "", fmt.Errorf("flag --signing-key is required: the private key to sign with (sat keygen writes one)")
	}
	if errs := validation.IsDNS1123Subdomain(spec.ServiceAccount); spec.ServiceAccount == "" || len(errs) > 0 {
		return "", fmt.Errorf("invalid --service-account %q: give a service account name (%s)", spec.ServiceAccount, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(spec.Namespace); len(errs) > 0 {
		return "", fmt.Errorf("invalid namespace %q: %s", spec.Namespace, strings.Join(errs, "; "))
	}
	if len(spec.Audiences) == 0 {
		return "", fmt.Errorf("flag --audience is required: the broker accepts a token only if its aud holds one of serviceAccountTokenSettings.audiences")
	}
	for _, a := range spec.Audiences {
		if strings.TrimSpace(a) == "" {
			return "", fmt.Errorf("empty --audience: give the audience the broker expects (e.g. aio-internal)")
		}
	}
	if spec.Duration <= 0 {
		return "", fmt.Errorf("--duration %s must be positive", spec.Duration)
	}
	if spec.Pod != "" {
		if errs := validation.IsDNS1123Subdomain(spec.Pod); len(errs) > 0 {
			return "", fmt.Errorf("invalid --bound-pod %q: %s", spec.Pod, strings.Join(errs, "; "))
		}
	}
	alg, err := Algorithm(spec.Key.Public())
	if err != nil {
		return "", fmt.Errorf("--signing-key: %w", err)
	}
	kid, err := KeyID(spec.Key.Public())
	if err != nil {
		return "", err
	}
	now := spec.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.Truncate(time.Second)
	nbf := spec.NotBefore
	if nbf.IsZero() {
		nbf = now
	}
	exp := now.Add(spec.Duration)
	if !exp.After(nbf) {
		return "", fmt.Errorf("--not-before %s is not before the expiry %s: shorten the wait or lengthen --duration",
			nbf.UTC().Format(time.RFC3339), exp.UTC().Format(time.RFC3339))
	}
	issuer := spec.Issuer
	if issuer == "" {
		issuer = DefaultIssuer
	}
	claims := boundClaims{
		Issuer:    issuer,
		Subject:   "system:serviceaccount:" + spec.Namespace + ":" + spec.ServiceAccount,
		Audience:  spec.Audiences,
		Expiry:    jose.NewNumericDate(exp),
		NotBefore: jose.NewNumericDate(nbf),
		IssuedAt:  jose.NewNumericDate(now),
		ID:        uuid.NewString(),
		Kubernetes: kubernetesClaim{
			Namespace:      spec.Namespace,
			ServiceAccount: objectRef{Name: spec.ServiceAccount, UID: stableUID("serviceaccount", spec.Namespace, spec.ServiceAccount)},
		},
	}
	if spec.Pod != "" {
		// A pod's UID changes with every pod; a fresh one per token says
		// so.
		claims.Kubernetes.Pod = &objectRef{Name: spec.Pod, UID: uuid.NewString()}
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(alg),
		Key:       jose.JSONWebKey{Key: spec.Key, KeyID: kid},
	}, nil)
	if err != nil {
		return "", fmt.Errorf("preparing the signer: %w", err)
	}
	token, err := jose.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("signing the token: %w", err)
	}
	return token, nil
}

// stableUID derives a UID from an object's kind and name, so tokens minted
// for the same service account agree on its UID.
func stableUID(kind, namespace, name string) string {
	return uuid.NewSHA1(uidSpace, []byte(kind+"/"+namespace+"/"+name)).String()
}

// LoadSigningKey reads a PEM private key that can sign service account
// tokens (RSA of 2048 bits or more, or EC P-256).
func LoadSigningKey(path string) (crypto.Signer, error) {
	data, err := input.ReadFile(path, input.PrivateKey)
	if err != nil {
		return nil, err
	}
	key, err := pki.ParsePrivateKey(path, data)
	if err != nil {
		return nil, err
	}
	if _, err := Algorithm(key.Public()); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}
