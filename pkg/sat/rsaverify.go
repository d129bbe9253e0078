package sat

import (
	"bytes"
	"crypto/fips140"
	"crypto/rsa"

	"filippo.io/bigmod"
)

// rsaVerifier checks RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signatures with
// one public key. crypto/rsa rebuilds the key's Montgomery form (R² mod N)
// on every VerifyPKCS1v15 call, a fifth of each check; explain --batch checks
// thousands of tokens against the same key, so the verifier builds it once,
// with bigmod, the very arithmetic crypto/rsa runs (filippo.io/bigmod is the
// standard library's crypto/internal/fips140/bigmod, exported). The checks
// are crypto/rsa's, step for step (RFC 8017 §8.2.2): the signature is exactly
// k bytes, less than N, and s^e mod N equals the one encoding
// EMSA-PKCS1-v1_5(SHA-256, digest). TestRSAVerifierMatchesCryptoRSA and
// FuzzRSAVerifier hold it to crypto/rsa's accept/reject decisions.
type rsaVerifier struct {
	n *bigmod.Modulus
	e uint
	// prefix is the encoded message before the digest:
	// 0x00 0x01 0xFF… 0x00 DigestInfo(SHA-256).
	prefix []byte
}

// sha256DigestInfo is the DER DigestInfo header of a SHA-256 digest
// (RFC 8017 §9.2, note 1).
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// newRSAVerifier returns pub's verifier, or nil for a key crypto/rsa itself
// must judge: one it refuses (under 1024 bits, even modulus, a bad
// exponent; its errors say why), and every key when the FIPS 140 module is
// enforced, whose extra rules only crypto/rsa knows.
func newRSAVerifier(pub *rsa.PublicKey) *rsaVerifier {
	if fips140.Enabled() || pub.N == nil || pub.N.BitLen() < 1024 || pub.N.Bit(0) == 0 ||
		pub.E < 3 || pub.E&1 == 0 || pub.E > 1<<31-1 {
		return nil
	}
	n, err := bigmod.NewModulus(pub.N.Bytes())
	if err != nil {
		return nil
	}
	k := n.Size()
	tLen := len(sha256DigestInfo) + 32
	if k < tLen+11 {
		return nil
	}
	prefix := make([]byte, k-32)
	prefix[1] = 0x01
	for i := 2; i < k-tLen-1; i++ {
		prefix[i] = 0xff
	}
	copy(prefix[k-tLen:], sha256DigestInfo)
	return &rsaVerifier{n: n, e: uint(pub.E), prefix: prefix}
}

// verify reports whether sig is a valid RS256 signature of the SHA-256
// digest.
func (v *rsaVerifier) verify(digest *[32]byte, sig []byte) bool {
	if len(sig) != v.n.Size() {
		return false
	}
	s, err := bigmod.NewNat().SetBytes(sig, v.n)
	if err != nil {
		return false // s >= N
	}
	em := bigmod.NewNat().ExpShortVarTime(s, v.e, v.n).Bytes(v.n)
	return bytes.Equal(em[:len(v.prefix)], v.prefix) && bytes.Equal(em[len(v.prefix):], digest[:])
}
