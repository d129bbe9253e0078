package sat

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
)

// The precomputed RS256 verifier (rsaVerifier) must accept exactly the
// signatures crypto/rsa accepts. These tests compare the two on valid
// signatures and on everything around them: tampered bits, wrong keys,
// short, long and out-of-range signatures, and signatures that are valid
// RSA values over a wrong encoding (bad padding, another hash's DigestInfo,
// a missing separator), which only the private key can make.

// rawKey is a test key whose private exponent signs any encoded message.
type rawKey struct {
	name string
	pub  *rsa.PublicKey
	d    *big.Int
	// priv signs with CRT, fast enough to search for a signature that
	// starts with a zero byte; nil for the e=3 key.
	priv *rsa.PrivateKey
}

// sign returns em^d mod N as a k-byte signature: a valid RSA value whatever
// em holds.
func (k rawKey) sign(em []byte) []byte {
	m := new(big.Int).SetBytes(em)
	var s *big.Int
	if p := k.priv; p != nil && len(p.Primes) == 2 {
		// CRT, a few times faster, which the fuzzer's throughput needs.
		pr, q := p.Primes[0], p.Primes[1]
		m1 := new(big.Int).Exp(m, p.Precomputed.Dp, pr)
		m2 := new(big.Int).Exp(m, p.Precomputed.Dq, q)
		h := m1.Sub(m1, m2)
		h.Mul(h, p.Precomputed.Qinv).Mod(h, pr)
		s = h.Mul(h, q).Add(h, m2).Mod(h, k.pub.N)
	} else {
		s = new(big.Int).Exp(m, k.d, k.pub.N)
	}
	return s.FillBytes(make([]byte, k.pub.Size()))
}

func generated(t testing.TB, bits int) rawKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return rawKey{name: fmt.Sprintf("%d-bit e=65537", bits), pub: &k.PublicKey, d: k.D, priv: k}
}

// exponent3 is a 2048-bit key with e = 3, which crypto/rsa accepts for
// verification though it never generates one.
func exponent3(t testing.TB) rawKey {
	t.Helper()
	three := big.NewInt(3)
	prime := func() *big.Int {
		for {
			p, err := rand.Prime(rand.Reader, 1024)
			if err != nil {
				t.Fatal(err)
			}
			if new(big.Int).Mod(p, three).Int64() == 2 { // 3 does not divide p-1
				return p
			}
		}
	}
	p, q := prime(), prime()
	one := big.NewInt(1)
	phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
	return rawKey{name: "2048-bit e=3", pub: &rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 3}, d: new(big.Int).ModInverse(three, phi)}
}

// emsa is EMSA-PKCS1-v1_5 encoding of size k with the given DigestInfo
// header and digest, as RFC 8017 §9.2 builds it.
func emsa(k int, info, digest []byte) []byte {
	em := make([]byte, k)
	em[1] = 0x01
	t := len(info) + len(digest)
	for i := 2; i < k-t-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-t:], info)
	copy(em[k-len(digest):], digest)
	return em
}

type sigCase struct {
	name   string
	digest [32]byte
	sig    []byte
}

// sigCases are the signatures checked against k: k's own (valid and not)
// and, signed by other, a wrong key's.
func sigCases(k, other rawKey, rng *mrand.Rand) []sigCase {
	digest := sha256.Sum256([]byte("header.payload " + k.name))
	size := k.pub.Size()
	good := k.sign(emsa(size, sha256DigestInfo, digest[:]))
	var cases []sigCase
	add := func(name string, sig []byte) { cases = append(cases, sigCase{name, digest, sig}) }
	addEM := func(name string, em []byte) { add(name, k.sign(em)) }
	with := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}

	add("valid", good)
	cases = append(cases, sigCase{"another digest", sha256.Sum256([]byte("other")), good})
	for range 48 {
		bit := rng.IntN(size * 8)
		add(fmt.Sprintf("bit %d flipped", bit), with(func(b []byte) { b[bit/8] ^= 1 << (bit % 8) }))
	}
	add("one byte short", good[1:])
	add("leading zero added", append([]byte{0}, good...))
	add("trailing byte added", append(append([]byte(nil), good...), 0))
	add("empty", []byte{})
	add("nil", nil)
	n := k.pub.N
	fill := func(x *big.Int) []byte { return x.FillBytes(make([]byte, size)) }
	add("zero", make([]byte, size))
	add("one", fill(big.NewInt(1)))
	add("N-1", fill(new(big.Int).Sub(n, big.NewInt(1))))
	add("N", fill(n))
	add("N+1", fill(new(big.Int).Add(n, big.NewInt(1))))
	if plusN := new(big.Int).Add(new(big.Int).SetBytes(good), n); plusN.BitLen() <= size*8 {
		add("valid+N", fill(plusN)) // the same value mod N, out of range
	}
	add("all 0xff", with(func(b []byte) {
		for i := range b {
			b[i] = 0xff
		}
	}))
	if k.priv != nil {
		// A valid signature whose first byte is zero (about one in 256):
		// without that byte it is one byte short, and crypto/rsa refuses it.
		for i := 0; ; i++ {
			d := sha256.Sum256(fmt.Appendf(nil, "message %d", i))
			sig, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, d[:])
			if err != nil {
				panic(err)
			}
			if sig[0] == 0 {
				cases = append(cases, sigCase{"valid, starting with a zero byte", d, sig}, sigCase{"valid, leading zero byte dropped", d, sig[1:]})
				break
			}
		}
	}
	add("signed by another key", other.sign(emsa(other.pub.Size(), sha256DigestInfo, digest[:])))

	em := func(f func(em []byte)) []byte {
		e := emsa(size, sha256DigestInfo, digest[:])
		f(e)
		return e
	}
	addEM("block type 2", em(func(e []byte) { e[1] = 0x02 }))
	addEM("block type 0", em(func(e []byte) { e[1] = 0x00 }))
	addEM("leading byte 1", em(func(e []byte) { e[0] = 0x01 }))
	addEM("no zero separator", em(func(e []byte) { e[size-len(sha256DigestInfo)-32-1] = 0xff }))
	addEM("zero inside the padding", em(func(e []byte) { e[10] = 0x00 }))
	addEM("0xfe in the padding", em(func(e []byte) { e[2] = 0xfe }))
	addEM("padding too short", em(func(e []byte) {
		copy(e[2:], e[size-len(sha256DigestInfo)-32-1:])
		for i := 2 + len(sha256DigestInfo) + 32 + 1; i < size; i++ {
			e[i] = 0
		}
	}))
	sha1Info := []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14}
	short := sha1.Sum([]byte("header.payload"))
	addEM("SHA-1 DigestInfo", emsa(size, sha1Info, short[:]))
	sha512_256Info := append([]byte(nil), sha256DigestInfo...)
	sha512_256Info[14] = 0x06
	addEM("SHA-512/256 OID, same length", emsa(size, sha512_256Info, digest[:]))
	noNull := []byte{0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20}
	addEM("DigestInfo without NULL parameters", emsa(size, noNull, digest[:]))
	addEM("digest followed by garbage", emsa(size, sha256DigestInfo, append(digest[:], 0xaa)))
	addEM("bare digest, no DigestInfo", emsa(size, nil, digest[:]))
	addEM("digest of another message", emsa(size, sha256DigestInfo, make([]byte, 32)))
	for i := range 16 {
		r := make([]byte, size)
		for j := range r {
			r[j] = byte(rng.Uint32())
		}
		add(fmt.Sprintf("random %d", i), r)
	}
	return cases
}

func TestRSAVerifierMatchesCryptoRSA(t *testing.T) {
	keys := []rawKey{generated(t, 2048), generated(t, 1024), generated(t, 2049), generated(t, 3072), exponent3(t)}
	rng := mrand.New(mrand.NewPCG(1, 2))
	accepted := 0
	for i, k := range keys {
		v := newRSAVerifier(k.pub)
		if v == nil {
			t.Fatalf("%s: no precomputed verifier", k.name)
		}
		for _, c := range sigCases(k, keys[(i+1)%len(keys)], rng) {
			want := rsa.VerifyPKCS1v15(k.pub, crypto.SHA256, c.digest[:], c.sig) == nil
			if got := v.verify(&c.digest, c.sig); got != want {
				t.Errorf("%s, %s: precomputed verifier says %v, crypto/rsa %v", k.name, c.name, got, want)
			}
			if want {
				accepted++
			}
		}
	}
	if want := 2*len(keys) - 1; accepted != want {
		t.Errorf("crypto/rsa accepted %d signatures, want exactly the %d valid ones", accepted, want)
	}
}

// TestRSAVerifierLeavesOddKeysToCryptoRSA: keys crypto/rsa refuses get no
// precomputed verifier, so Verify takes crypto/rsa's path and refuses them
// as it does.
func TestRSAVerifierLeavesOddKeysToCryptoRSA(t *testing.T) {
	k := generated(t, 2048)
	even := new(big.Int).Add(k.pub.N, big.NewInt(1))
	small, err := rand.Prime(rand.Reader, 512)
	if err != nil {
		t.Fatal(err)
	}
	for name, pub := range map[string]*rsa.PublicKey{
		"even modulus":      {N: even, E: 65537},
		"512-bit modulus":   {N: small, E: 65537},
		"exponent 1":        {N: k.pub.N, E: 1},
		"even exponent":     {N: k.pub.N, E: 65536},
		"exponent over 2³¹": {N: k.pub.N, E: 1 << 32},
		"no modulus":        {E: 65537},
	} {
		if newRSAVerifier(pub) != nil {
			t.Errorf("%s: got a precomputed verifier; crypto/rsa refuses the key", name)
		}
	}
	if ks := mustKeySet(t, testjwt.PublicPEM(t, k.pub)); ks.keys[0].rsaFast == nil {
		t.Fatal("a 2048-bit key got no precomputed verifier: Verify would pay crypto/rsa's key rebuild per token")
	}
}

// FuzzRSAVerifier compares the precomputed verifier with crypto/rsa on
// fuzzed input: as a signature itself (raw), or as an encoded message the
// private key signs, so that the fuzzer explores the padding checks behind
// the RSA operation, which random signatures never reach.
func FuzzRSAVerifier(f *testing.F) {
	k := generated(f, 2048)
	v := newRSAVerifier(k.pub)
	digest := sha256.Sum256([]byte("fuzz"))
	good := emsa(k.pub.Size(), sha256DigestInfo, digest[:])
	f.Add(good, false)
	f.Add(good[1:], false)
	f.Add(k.sign(good), true)
	f.Add([]byte{0, 1, 0xff, 0}, false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		sig := data
		if !raw {
			if len(data) > k.pub.Size() {
				return
			}
			sig = k.sign(data)
		}
		want := rsa.VerifyPKCS1v15(k.pub, crypto.SHA256, digest[:], sig) == nil
		if got := v.verify(&digest, sig); got != want {
			t.Fatalf("precomputed verifier says %v, crypto/rsa %v (raw %v, %x)", got, want, raw, data)
		}
	})
}
