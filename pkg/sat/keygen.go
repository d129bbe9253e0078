package sat

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.step.sm/crypto/jose"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// The files `sat keygen` writes. sa_key.pem and sa_pub.pem are what
// kube-apiserver's --service-account-signing-key-file and
// --service-account-key-file take; jwks.json is what a cluster serves at
// /openid/v1/jwks.
const (
	SigningKeyFile = "sa_key.pem"
	PublicKeyFile  = "sa_pub.pem"
	JWKSFile       = "jwks.json"
)

// KeyID is the "kid" Kubernetes puts in the header of tokens signed with the
// key whose public half is pub: the unpadded base64url SHA-256 of the public
// key's DER (PKIX) encoding, as kube-apiserver's keyIDFromPublicKey computes
// it. A token minted here therefore names its key exactly as a cluster's
// token would.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("computing key ID: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// Algorithm returns the JWS algorithm Kubernetes signs with a key of this
// kind: RS256 for RSA, ES256 for EC P-256. Other keys cannot sign service
// account tokens the broker accepts.
func Algorithm(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < pki.MinRSABits {
			return "", fmt.Errorf("the RSA key has %d bits: use at least %d", k.N.BitLen(), pki.MinRSABits)
		}
		return AlgRS256, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("the EC key is on %s: ES256 needs P-256", k.Curve.Params().Name)
		}
		return AlgES256, nil
	}
	return "", fmt.Errorf("a %T cannot sign service account tokens: use an RSA (RS256) or EC P-256 (ES256) key", pub)
}

// KeygenSpec says what `sat keygen` makes.
type KeygenSpec struct {
	OutDir string
	// KeyType is RSA (RS256, the default, what clusters use) or EC (P-256,
	// ES256).
	KeyType string
	Force   bool
}

// Keys is what Keygen wrote.
type Keys struct {
	Dir       string
	Algorithm string
	KeyID     string
	Key       pki.KeySpec
	// Files are the paths written.
	Files []string
}

// Keygen makes a token signing key pair and writes sa_key.pem (0600),
// sa_pub.pem and jwks.json into spec.OutDir, never overwriting without
// Force.
func Keygen(spec KeygenSpec) (*Keys, error) {
	if spec.OutDir == "" {
		return nil, fmt.Errorf("flag --out-dir is required: the directory to write the keys into")
	}
	var ks pki.KeySpec
	switch strings.ToUpper(spec.KeyType) {
	case "", pki.KeyTypeRSA:
		ks = pki.KeySpec{Type: pki.KeyTypeRSA, Size: pki.MinRSABits}
	case pki.KeyTypeEC:
		ks = pki.KeySpec{Type: pki.KeyTypeEC, Curve: "P-256"}
	default:
		return nil, fmt.Errorf("unknown --kty %q: use RSA (RS256) or EC (ES256, P-256)", spec.KeyType)
	}
	out := &Keys{Dir: spec.OutDir, Key: ks}
	for _, f := range []string{SigningKeyFile, PublicKeyFile, JWKSFile} {
		out.Files = append(out.Files, filepath.Join(spec.OutDir, f))
	}
	if !spec.Force {
		if err := atomicfile.CheckFree(out.Files); err != nil {
			return nil, err
		}
	}
	key, err := ks.Generate()
	if err != nil {
		return nil, err
	}
	pub := key.Public()
	if out.Algorithm, err = Algorithm(pub); err != nil {
		return nil, err
	}
	if out.KeyID, err = KeyID(pub); err != nil {
		return nil, err
	}
	keyPEM, err := pki.EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	pubPEM, err := pki.EncodePublicKey(pub)
	if err != nil {
		return nil, err
	}
	jwks, err := JWKS(pub)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(spec.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating --out-dir: %w", err)
	}
	if err := atomicfile.Write([]atomicfile.File{
		{Path: out.Files[0], Data: keyPEM, Perm: pki.PrivateFileMode},
		{Path: out.Files[1], Data: pubPEM, Perm: pki.PublicFileMode},
		{Path: out.Files[2], Data: jwks, Perm: pki.PublicFileMode},
	}, spec.Force); err != nil {
		return nil, err
	}
	return out, nil
}

// JWKS is a JSON Web Key Set holding pub the way a cluster's /openid/v1/jwks
// lists its keys: use "sig", the signing algorithm, and the Kubernetes kid.
func JWKS(pub crypto.PublicKey) ([]byte, error) {
	alg, err := Algorithm(pub)
	if err != nil {
		return nil, err
	}
	kid, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}}}
	data, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding JWKS: %w", err)
	}
	return append(data, '\n'), nil
}
