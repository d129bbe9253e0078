package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"strings"

	"go.step.sm/crypto/keyutil"
	"go.step.sm/crypto/pemutil"
)

// Key types, named as the step CLI's --kty names them.
const (
	KeyTypeEC  = "EC"
	KeyTypeRSA = "RSA"
	KeyTypeOKP = "OKP"
)

// MinRSABits is the smallest RSA key minted: smaller keys are refused rather
// than produced, since nothing should learn to trust them.
const MinRSABits = 2048

// KeySpec says which key to generate, with the step CLI's --kty, --crv and
// --size. The zero value means the default, EC P-256.
type KeySpec struct {
	// Type is EC, RSA or OKP.
	Type string
	// Curve is P-256, P-384 or P-521 for EC, Ed25519 for OKP.
	Curve string
	// Size is the RSA modulus in bits.
	Size int
}

// DefaultKeySpec is EC P-256: what step uses by default and what the broker
// documents.
var DefaultKeySpec = KeySpec{Type: KeyTypeEC, Curve: "P-256"}

// Normalize fills in defaults (P-256 for EC, 2048 bits for RSA, Ed25519 for
// OKP) and refuses combinations that make no sense or are too weak. The
// errors name the flags, since that is where the values come from.
func (k KeySpec) Normalize() (KeySpec, error) {
	if k.Type == "" {
		k.Type = KeyTypeEC
	}
	switch strings.ToUpper(k.Type) {
	case KeyTypeEC:
		k.Type = KeyTypeEC
		if k.Size != 0 {
			return k, fmt.Errorf("flag --size requires --kty RSA (EC keys take --crv)")
		}
		if k.Curve == "" {
			k.Curve = "P-256"
		}
		switch strings.ToUpper(k.Curve) {
		case "P-256", "P256":
			k.Curve = "P-256"
		case "P-384", "P384":
			k.Curve = "P-384"
		case "P-521", "P521":
			k.Curve = "P-521"
		default:
			return k, fmt.Errorf("unknown --crv %q for --kty EC: use P-256, P-384 or P-521", k.Curve)
		}
	case KeyTypeRSA:
		k.Type = KeyTypeRSA
		if k.Curve != "" {
			return k, fmt.Errorf("flag --crv requires --kty EC or OKP (RSA keys take --size)")
		}
		if k.Size == 0 {
			k.Size = MinRSABits
		}
		if k.Size < MinRSABits {
			return k, fmt.Errorf("--size %d is too small: RSA keys must have at least %d bits", k.Size, MinRSABits)
		}
		if k.Size > 8192 {
			return k, fmt.Errorf("--size %d is too large: use at most 8192 bits", k.Size)
		}
	case KeyTypeOKP:
		k.Type = KeyTypeOKP
		if k.Size != 0 {
			return k, fmt.Errorf("flag --size requires --kty RSA (OKP keys take --crv Ed25519)")
		}
		if k.Curve == "" || strings.EqualFold(k.Curve, "Ed25519") {
			k.Curve = "Ed25519"
		} else {
			return k, fmt.Errorf("unknown --crv %q for --kty OKP: use Ed25519 (X25519 cannot sign)", k.Curve)
		}
	default:
		return k, fmt.Errorf("unknown --kty %q: use EC, RSA or OKP", k.Type)
	}
	return k, nil
}

// Generate makes a new private key. k must be normalized.
func (k KeySpec) Generate() (crypto.Signer, error) {
	signer, err := keyutil.GenerateSigner(k.Type, k.Curve, k.Size)
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", k, err)
	}
	return signer, nil
}

// String describes the key the way the summaries print it: "EC P-256",
// "RSA 2048", "Ed25519".
func (k KeySpec) String() string {
	switch k.Type {
	case KeyTypeRSA:
		return fmt.Sprintf("RSA %d", k.Size)
	case KeyTypeOKP:
		return k.Curve
	default:
		return k.Type + " " + k.Curve
	}
}

// Algorithm is the key algorithm family the broker compares across a chain.
func (k KeySpec) Algorithm() KeyAlgorithm {
	switch k.Type {
	case KeyTypeRSA:
		return KeyRSA
	case KeyTypeOKP:
		return KeyEd25519
	default:
		return KeyEC
	}
}

// KeySpecOf describes an existing public key, so a certificate signed by a
// CA can default to the CA's own kind of key.
func KeySpecOf(pub crypto.PublicKey) (KeySpec, error) {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		return KeySpec{Type: KeyTypeEC, Curve: p.Curve.Params().Name}, nil
	case *rsa.PublicKey:
		return KeySpec{Type: KeyTypeRSA, Size: p.N.BitLen()}, nil
	case ed25519.PublicKey:
		return KeySpec{Type: KeyTypeOKP, Curve: "Ed25519"}, nil
	default:
		return KeySpec{}, fmt.Errorf("unsupported public key type %T", pub)
	}
}

// EncodePrivateKey returns the key as PEM, in the encoding step writes (SEC 1
// for EC, PKCS #1 for RSA, PKCS #8 for Ed25519), which OpenSSL, mosquitto and
// Go all read.
func EncodePrivateKey(key crypto.Signer) ([]byte, error) {
	block, err := pemutil.Serialize(key)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(block), nil
}

// EncodePublicKey returns the public key as a PEM "PUBLIC KEY" (PKIX).
func EncodePublicKey(pub crypto.PublicKey) ([]byte, error) {
	block, err := pemutil.Serialize(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(block), nil
}

// ParsePrivateKey reads a PEM private key (PKCS #1, PKCS #8 or SEC 1) that can
// sign. name is used in errors.
func ParsePrivateKey(name string, data []byte) (crypto.Signer, error) {
	if !strings.Contains(string(data), "-----BEGIN") {
		return nil, fmt.Errorf("%s: no PEM private key found: pass the key file (-----BEGIN ... PRIVATE KEY-----)", name)
	}
	key, err := pemutil.ParseKey(data, pemutil.WithFilename(name))
	if err != nil {
		if strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "encrypted") {
			return nil, fmt.Errorf("%s: the private key is encrypted: decrypt it first (e.g. openssl pkey -in %s -out plain_key.pem)", name, name)
		}
		return nil, fmt.Errorf("%s: reading private key: %w", name, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: holds a %T, not a private key that can sign", name, key)
	}
	switch signer.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey:
		return signer, nil
	}
	return nil, fmt.Errorf("%s: unsupported private key type %T: use an EC, RSA or Ed25519 key", name, signer)
}
