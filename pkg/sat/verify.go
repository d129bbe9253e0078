package sat

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
)

// The algorithms Kubernetes signs service account tokens with: RS256 with
// an RSA key, ES256 with an EC P-256 one (ES384 and ES512 with P-384 and
// P-521 keys).
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// algorithm is how a KeySet checks one JWS algorithm.
type algorithm struct {
	hash crypto.Hash
	// rsa: an RSA key verifies it, PKCS #1 v1.5 or, with pss, RSASSA-PSS.
	rsa, pss bool
	// curve: the EC keys that verify it (RFC 7518 §3.4 ties each ES
	// algorithm to one curve).
	curve elliptic.Curve
}

// algorithms are the ones kube-apiserver's service account authenticator
// verifies: it leaves the choice to go-jose, which checks every RS, PS and
// ES algorithm with a key of the right type, whichever one the apiserver
// itself signs with. A token signed elsewhere (an external signer, a
// hand-made test token) may use any of them, so explain accepts the same
// set rather than deny what the API server grants. none and HMAC are not
// among them: go-jose verifies HMAC only with a shared secret, which a
// public key file never is.
var algorithms = map[string]algorithm{
	"RS256": {hash: crypto.SHA256, rsa: true},
	"RS384": {hash: crypto.SHA384, rsa: true},
	"RS512": {hash: crypto.SHA512, rsa: true},
	"PS256": {hash: crypto.SHA256, rsa: true, pss: true},
	"PS384": {hash: crypto.SHA384, rsa: true, pss: true},
	"PS512": {hash: crypto.SHA512, rsa: true, pss: true},
	"ES256": {hash: crypto.SHA256, curve: elliptic.P256()},
	"ES384": {hash: crypto.SHA384, curve: elliptic.P384()},
	"ES512": {hash: crypto.SHA512, curve: elliptic.P521()},
}

// acceptedAlgorithms names the algorithms for messages.
const acceptedAlgorithms = "RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or ES512"

// unsupportedCurve says why a key on the named curve is skipped.
func unsupportedCurve(name string) string {
	return fmt.Sprintf("EC %s key: only P-256, P-384 and P-521 are supported", name)
}

// ecAlgorithm is the ES algorithm of a curve, and the curve itself, found
// by the curve or by its name ("P-384", as a JWK's "crv" says); "" for a
// curve no algorithm uses.
func ecAlgorithm(c elliptic.Curve, name string) (string, elliptic.Curve) {
	for alg, a := range algorithms {
		if a.curve != nil && (a.curve == c || a.curve.Params().Name == name) {
			return alg, a.curve
		}
	}
	return "", nil
}

// Sentinel errors Verify wraps, so callers can tell a forged token from a
// token they lack the key for.
var (
	// ErrAlgorithm: the token's alg is none, HMAC or another the API
	// server does not verify.
	ErrAlgorithm = errors.New("signature algorithm not accepted")
	// ErrNoKey: no key of the set can have signed the token (kid or key type
	// does not match).
	ErrNoKey = errors.New("no matching key")
	// ErrSignature: a matching key exists and the signature does not verify.
	ErrSignature = errors.New("signature does not verify")
)

// KeySet is a set of public keys that may have signed service account
// tokens, loaded once and reused for every token (parsing keys costs more
// than checking a signature).
type KeySet struct {
	keys    []verificationKey
	skipped []string
	source  string
}

// verificationKey is one usable public key. The algorithms it verifies are
// fixed by the key type when the key is loaded (RSA: RS and PS; EC: the ES
// algorithm of its curve), so a token's header can never make an RSA key
// verify an HMAC or an ECDSA signature (algorithm confusion).
type verificationKey struct {
	// alg is the algorithm Kubernetes signs with for this key, for
	// messages.
	alg string
	// kid is the JWK's declared key ID, "" for PEM keys and JWKs without
	// one.
	kid string
	// derivedKid is the key ID Kubernetes derives from the public key
	// (base64url SHA-256 of the PKIX DER), which its tokens carry.
	derivedKid string
	rsa        *rsa.PublicKey
	// rsaFast verifies with the key in the form crypto/rsa rebuilds on
	// every call, built once; nil for keys only crypto/rsa judges (see
	// newRSAVerifier).
	rsaFast *rsaVerifier
	ec      *ecdsa.PublicKey
}

// id is the key ID tokens signed with the key carry: the JWK's declared kid,
// else the one Kubernetes derives from the public key (KeyID), which is how
// kube-apiserver names the keys of its --service-account-key-file.
func (k verificationKey) id() string {
	if k.kid != "" {
		return k.kid
	}
	return k.derivedKid
}

func (k verificationKey) String() string {
	switch {
	case k.rsa != nil:
		return fmt.Sprintf("RSA %d-bit %s (kid %s)", k.rsa.N.BitLen(), k.alg, k.id())
	default:
		return fmt.Sprintf("EC %s %s (kid %s)", k.ec.Curve.Params().Name, k.alg, k.id())
	}
}

// accepts reports whether the key verifies tokens of alg.
func (k verificationKey) accepts(alg string) bool {
	a, ok := algorithms[alg]
	switch {
	case !ok:
		return false
	case k.rsa != nil:
		return a.rsa
	default:
		return k.ec != nil && a.curve == k.ec.Curve
	}
}

// LoadKeySet reads public keys from a file: PEM (PUBLIC KEY, RSA PUBLIC KEY
// or CERTIFICATE blocks, one or more) or a JWKS JSON document such as a
// cluster's /openid/v1/jwks.
func LoadKeySet(path string) (*KeySet, error) {
	data, err := input.ReadFile(path, input.KeySet)
	if err != nil {
		return nil, err
	}
	ks, err := ParseKeySet(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ks.source = path
	return ks, nil
}

// ParseKeySet parses PEM public keys/certificates or a JWKS (a {"keys": [...]}
// document or a single JWK).
func ParseKeySet(data []byte) (*KeySet, error) {
	trimmed := bytes.TrimSpace(data)
	var ks *KeySet
	var err error
	if len(trimmed) > 0 && trimmed[0] == '{' {
		ks, err = parseJWKS(trimmed)
	} else {
		ks, err = parsePEMKeys(trimmed)
	}
	if err != nil {
		return nil, err
	}
	if len(ks.keys) == 0 {
		msg := "no RSA or EC public key found"
		if len(ks.skipped) > 0 {
			msg += " (" + strings.Join(ks.skipped, "; ") + ")"
		}
		return nil, errors.New(msg)
	}
	return ks, nil
}

func parsePEMKeys(data []byte) (*KeySet, error) {
	ks := &KeySet{}
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = cert.PublicKey
			}
		default:
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return nil, fmt.Errorf("PEM block %d is a private key (%s): give the public key (sa_pub.pem) or the JWKS (jwks.json) instead", n, block.Type)
			}
			ks.skipped = append(ks.skipped, fmt.Sprintf("PEM block %d: %s is not a public key", n, block.Type))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %v", n, block.Type, err)
		}
		k, why := keyFromPublic(pub)
		if why != "" {
			ks.skipped = append(ks.skipped, fmt.Sprintf("PEM block %d: %s", n, why))
			continue
		}
		ks.keys = append(ks.keys, k)
	}
	if len(ks.keys) == 0 && len(ks.skipped) == 0 {
		return nil, errors.New("neither PEM public keys nor a JWKS document")
	}
	return ks, nil
}

// keyFromPublic accepts the key types that can verify service account
// tokens, and says why any other is skipped.
func keyFromPublic(pub any) (verificationKey, string) {
	kid, err := KeyID(pub)
	if err != nil {
		return verificationKey{}, fmt.Sprintf("unsupported key: %v", err)
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return verificationKey{alg: AlgRS256, rsa: p, rsaFast: newRSAVerifier(p), derivedKid: kid}, ""
	case *ecdsa.PublicKey:
		alg, _ := ecAlgorithm(p.Curve, "")
		if alg == "" {
			return verificationKey{}, unsupportedCurve(p.Curve.Params().Name)
		}
		return verificationKey{alg: alg, ec: p, derivedKid: kid}, ""
	default:
		return verificationKey{}, fmt.Sprintf("%T key: only RSA and EC (P-256, P-384, P-521) keys are supported", pub)
	}
}

// minRSAModulusBits is the smallest RSA key accepted in a JWKS, as Go's
// crypto/rsa accepts none smaller.
const minRSAModulusBits = 1024

// jwk is the subset of RFC 7517 fields a verification key needs.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

func parseJWKS(data []byte) (*KeySet, error) {
	var doc struct {
		Keys *[]jwk `json:"keys"`
		jwk
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a JWKS document: %v", err)
	}
	list := []jwk{doc.jwk}
	if doc.Keys != nil {
		list = *doc.Keys
	}
	ks := &KeySet{}
	for i, j := range list {
		name := fmt.Sprintf("key %d", i)
		if j.Kid != "" {
			name = fmt.Sprintf("key %d (kid %s)", i, j.Kid)
		}
		if j.D != "" {
			return nil, fmt.Errorf("%s holds a private key (\"d\"): give the public JWKS instead", name)
		}
		if j.Use != "" && j.Use != "sig" {
			ks.skipped = append(ks.skipped, fmt.Sprintf("%s: use %q, not a signing key", name, j.Use))
			continue
		}
		k, why, err := j.key()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if why != "" {
			ks.skipped = append(ks.skipped, name+": "+why)
			continue
		}
		// A declared alg must suit the key, but does not narrow it: a
		// cluster's JWKS says "RS256" for the keys its API server then
		// checks RS384 and PS256 tokens with too, and the set stands in
		// for that API server.
		if j.Alg != "" && !k.accepts(j.Alg) {
			ks.skipped = append(ks.skipped, fmt.Sprintf("%s: alg %q is not accepted for a %s key", name, j.Alg, j.Kty))
			continue
		}
		k.kid = j.Kid
		ks.keys = append(ks.keys, k)
	}
	return ks, nil
}

func (j jwk) key() (verificationKey, string, error) {
	switch j.Kty {
	case "RSA":
		n, err := base64.RawURLEncoding.DecodeString(j.N)
		if err != nil || len(n) == 0 {
			return verificationKey{}, "", errors.New(`"n" is not base64url`)
		}
		e, err := base64.RawURLEncoding.DecodeString(j.E)
		if err != nil || len(e) == 0 || len(e) > 4 {
			return verificationKey{}, "", errors.New(`"e" is not a base64url exponent`)
		}
		exp := new(big.Int).SetBytes(e).Int64()
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}
		if exp < 3 || exp%2 == 0 {
			return verificationKey{}, "", fmt.Errorf("RSA exponent %d is not valid", exp)
		}
		// No real key has a tiny or even modulus: such a "key" is a
		// malformed document, not one to try signatures against.
		if bits := pub.N.BitLen(); bits < minRSAModulusBits || pub.N.Bit(0) == 0 {
			return verificationKey{}, "", fmt.Errorf("RSA modulus of %d bits is not a valid key (at least %d bits, odd; Kubernetes signs with 2048 or more)", bits, minRSAModulusBits)
		}
		k, why := keyFromPublic(pub)
		return k, why, nil
	case "EC":
		_, curve := ecAlgorithm(nil, j.Crv)
		if curve == nil {
			return verificationKey{}, unsupportedCurve(j.Crv), nil
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err1 := base64.RawURLEncoding.DecodeString(j.X)
		y, err2 := base64.RawURLEncoding.DecodeString(j.Y)
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return verificationKey{}, "", fmt.Errorf(`"x"/"y" are not %d-byte base64url coordinates`, size)
		}
		point := append(append([]byte{4}, x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return verificationKey{}, "", fmt.Errorf("not a %s point: %v", j.Crv, err)
		}
		k, why := keyFromPublic(pub)
		return k, why, nil
	case "":
		return verificationKey{}, "", errors.New(`no "kty"`)
	default:
		return verificationKey{}, fmt.Sprintf("kty %q: only RSA and EC keys are supported", j.Kty), nil
	}
}

// Describe says what the set holds, for messages such as "verified with ...".
func (ks *KeySet) Describe() string {
	parts := make([]string, 0, len(ks.keys))
	for _, k := range ks.keys {
		parts = append(parts, k.String())
	}
	s := fmt.Sprintf("%d key", len(ks.keys))
	if len(ks.keys) != 1 {
		s += "s"
	}
	if ks.source != "" {
		s += " from " + ks.source
	}
	s += ": " + strings.Join(parts, ", ")
	if len(ks.skipped) > 0 {
		s += fmt.Sprintf(" (%d skipped)", len(ks.skipped))
	}
	return s
}

// checkAlg accepts only the algorithms the API server verifies service
// account tokens with, and explains every refusal.
func checkAlg(alg string) error {
	if _, ok := algorithms[alg]; ok {
		return nil
	}
	switch {
	case strings.EqualFold(alg, "none"):
		return fmt.Errorf("%w: alg %q means unsigned, and an unsigned token proves nothing", ErrAlgorithm, alg)
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		return fmt.Errorf("%w: alg %q is HMAC, a shared secret; service account tokens are signed with a private key (RSA or EC)", ErrAlgorithm, alg)
	default:
		return fmt.Errorf("%w: alg %q is not one the API server verifies (%s)", ErrAlgorithm, alg, acceptedAlgorithms)
	}
}

// candidates are the keys that may have signed a token with this header,
// chosen as kube-apiserver chooses them: a token without a kid is tried
// against every key, a token with a kid only against the keys of that kid
// (see verificationKey.id), so a kid that names no key verifies with none,
// whatever the format of the key file. A key verifies only its own
// algorithm.
func (ks *KeySet) candidates(h Header) []verificationKey {
	var out []verificationKey
	for _, k := range ks.keys {
		if k.accepts(h.Alg) && (h.Kid == "" || k.id() == h.Kid) {
			out = append(out, k)
		}
	}
	return out
}

// noKey explains why no key of the set can verify a token with this header.
func (ks *KeySet) noKey(h Header) error {
	if h.Kid != "" {
		var named []string
		for _, k := range ks.keys {
			if k.id() == h.Kid {
				named = append(named, k.String())
			}
		}
		if len(named) == 0 {
			return fmt.Errorf("%w: the token's kid %q names none of the keys (%s); the API server tries only the keys its kid names, so it refuses the token too",
				ErrNoKey, h.Kid, ks.Describe())
		}
		return fmt.Errorf("%w: the token is %s but its kid %q names %s", ErrNoKey, h.Alg, h.Kid, strings.Join(named, ", "))
	}
	what := "an RSA key"
	if c := algorithms[h.Alg].curve; c != nil {
		what = "an EC " + c.Params().Name + " key"
	}
	return fmt.Errorf("%w: the token is %s and needs %s; the key set has %s", ErrNoKey, h.Alg, what, ks.Describe())
}

// Verify checks the token's signature (the algorithms the API server
// verifies; see algorithms) with the set's
// keys and returns the decoded header and claims. It does not check times,
// audience or issuer: those are policy, and the caller reports each.
func (ks *KeySet) Verify(token string) (Header, Claims, error) {
	return ks.verify(token, parseClaims)
}

// VerifyTyped is Verify without Claims.Raw, for callers that verify many
// tokens and need only the typed claims (explain --batch): decoding the
// claims into structs instead of maps is most of the cost beyond the
// signature itself.
func (ks *KeySet) VerifyTyped(token string) (Header, Claims, error) {
	return ks.verify(token, parseClaimsTyped)
}

func (ks *KeySet) verify(token string, decodeClaims func([]byte) (Claims, error)) (Header, Claims, error) {
	token = strings.TrimSpace(token)
	hp, pp, sp, err := splitToken(token)
	if err != nil {
		return Header{}, Claims{}, err
	}
	hb, err := decodeSegment("header", hp)
	if err != nil {
		return Header{}, Claims{}, err
	}
	header, err := parseHeader(hb)
	if err != nil {
		return Header{}, Claims{}, err
	}
	if err := checkAlg(header.Alg); err != nil {
		return header, Claims{}, err
	}
	keys := ks.candidates(header)
	if len(keys) == 0 {
		return header, Claims{}, ks.noKey(header)
	}
	sig, err := decodeSegment("signature", sp)
	if err != nil {
		return header, Claims{}, err
	}
	if !verifyAny(keys, header.Alg, token[:len(hp)+1+len(pp)], sig) {
		return header, Claims{}, fmt.Errorf("%w: %s signature checked against %s", ErrSignature, header.Alg, describeKeys(keys))
	}
	pb, err := decodeSegment("payload", pp)
	if err != nil {
		return header, Claims{}, err
	}
	claims, err := decodeClaims(pb)
	return header, claims, err
}

// verifyAny reports whether one of keys, all of which accept alg, verifies
// sig over signed (the token's header and payload).
func verifyAny(keys []verificationKey, alg, signed string, sig []byte) bool {
	if alg == AlgRS256 {
		// The common case, on its own path so that the digest stays on
		// the stack.
		digest := sha256.Sum256([]byte(signed))
		return verifyRS256(keys, &digest, sig)
	}
	a := algorithms[alg]
	h := a.hash.New()
	h.Write([]byte(signed))
	digest := h.Sum(nil)
	for _, k := range keys {
		switch {
		case k.rsa != nil && a.pss:
			// As go-jose: a salt of any length.
			if rsa.VerifyPSS(k.rsa, a.hash, digest, sig, nil) == nil {
				return true
			}
		case k.rsa != nil:
			if rsa.VerifyPKCS1v15(k.rsa, a.hash, digest, sig) == nil {
				return true
			}
		case k.ec != nil:
			// JWS ES signatures are r||s, each the curve's size, not ASN.1.
			size := (k.ec.Curve.Params().BitSize + 7) / 8
			if len(sig) != 2*size {
				continue
			}
			r := new(big.Int).SetBytes(sig[:size])
			s := new(big.Int).SetBytes(sig[size:])
			if ecdsa.Verify(k.ec, digest, r, s) {
				return true
			}
		}
	}
	return false
}

// verifyRS256 is verifyAny for RS256: with each key's kept Montgomery form
// where there is one (see rsaVerifier).
func verifyRS256(keys []verificationKey, digest *[32]byte, sig []byte) bool {
	for _, k := range keys {
		switch {
		case k.rsaFast != nil:
			if k.rsaFast.verify(digest, sig) {
				return true
			}
		case k.rsa != nil:
			if rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, digest[:], sig) == nil {
				return true
			}
		}
	}
	return false
}

func describeKeys(keys []verificationKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, ", ")
}
