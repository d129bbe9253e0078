package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/internal/testjwt"
	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
)

// issuer is the service account issuer the corpus's tokens carry and the
// verifiers require (--sat-issuer).
const issuer = "https://kubernetes.default.svc.cluster.local"

// TestConsistency is the promise of `serve broker`: what explain predicts is
// what a client gets on the wire. A corpus of credentials of every method,
// good and bad, is made here (with the tool's own minting, and signed
// independently with crypto/x509 and golang-jwt), and each is run three
// ways against the same bundle:
//
//   - explain --batch predicts the CONNACK;
//   - probe connects to serve broker (the built binary, a real process)
//     and reports the CONNACK on the wire, which must be the predicted code,
//     every time;
//   - the same probe, given -f BUNDLE, puts its own prediction beside the
//     live result and must report agree, with the same code.
//
// MQTT 3.1.1 clients (mosquitto_pub -V mqttv311) get CONNACK 0 or 5, the
// only refusal MQTT 3.1.1 has for these. The corpus ends with probe
// --reauth, good token and bad.
func TestConsistency(t *testing.T) {
	testenv.RequireProgram(t, "mosquitto_pub")
	c := newCorpus(t)
	c.addTokens()
	c.addCertificates()
	c.addPasswords()
	c.addEnhanced()
	c.addMQTT311()
	if len(c.cases) < 200 {
		t.Fatalf("the corpus has %d credentials, want at least 200", len(c.cases))
	}

	c.predict()
	start := time.Now()
	c.runLive()
	t.Logf("%d credentials probed in %s", len(c.cases), time.Since(start).Round(time.Millisecond))
	c.check()

	t.Run("reauth", c.testReauth)
}

// corpusPort is one port of the corpus's BrokerListener.
type corpusPort struct {
	name   string
	number int
	tls    bool
	// authn is the port's authenticationRef, "" for none.
	authn string
}

// corpusCase is one credential presented on one port.
type corpusCase struct {
	name string
	port *corpusPort
	// What the client presents; file paths are relative to the corpus
	// directory.
	username     string
	passwordFile string
	authMethod   string
	authDataFile string
	satFile      string
	cert, key    string
	// mqtt311 connects with MQTT 3.1.1 (mosquitto_pub), which has neither
	// enhanced authentication nor reason codes beyond 5.
	mqtt311 bool

	// predicted is explain --batch's decision.
	predicted batchDecision
	// live is what the wire said.
	live liveResult
}

func (d batchDecision) code() (uint8, bool) {
	if d.Connack == nil {
		return 0, false
	}
	return d.Connack.Code, true
}

// liveResult is what probe (or mosquitto_pub) reported.
type liveResult struct {
	exit   int
	stderr string
	// probe's JSON, for MQTT v5 cases.
	probe struct {
		Outcome string `json:"outcome"`
		Error   string `json:"error"`
		Connack *struct {
			Code         uint8  `json:"code"`
			ReasonString string `json:"reasonString"`
		} `json:"connack"`
		Prediction *struct {
			Decision string `json:"decision"`
			Connack  *struct {
				Code uint8 `json:"code"`
			} `json:"connack"`
			Reason string `json:"reason"`
		} `json:"prediction"`
		Comparison *struct {
			Agree     bool     `json:"agree"`
			CodeMatch bool     `json:"codeMatch"`
			Notes     []string `json:"notes"`
		} `json:"comparison"`
	}
	err error
}

// corpus is the bundle, the servers and the credentials.
type corpus struct {
	t     *testing.T
	dir   string
	ports map[string]*corpusPort
	cases []*corpusCase
	names map[string]bool

	broker *brokerProcess
	caFile string

	// Token signing keys: the two the verifiers trust and one they do not.
	rsaKey, foreignKey       *rsa.PrivateKey
	ecKey                    *ecdsa.PrivateKey
	rsaKid, ecKid, foreignID string
	// Chain A, the one BrokerAuthentication main trusts.
	rootA, interA       *x509.Certificate
	rootAKey, interAKey crypto.Signer
}

// The ports of the corpus's BrokerListener, by what they rehearse.
const (
	portSATX509     = "sat-x509"     // TLS: tokens, then X.509 (chain A)
	portSATPlain    = "sat-plain"    // plain TCP, the same authentication
	portRSA         = "rsa"          // TLS: X.509 trusting an RSA chain only
	portCustom      = "custom"       // TLS: Custom, backed by serve custom-auth
	portCustomDown  = "custom-down"  // plain: Custom at an address where nothing listens, then tokens
	portX509Plain   = "x509-plain"   // plain: X.509 only, which needs TLS
	portOpen        = "open"         // plain: no authentication
	portOpenTLS     = "open-tls"     // TLS: no authentication
	corpusListener  = "corpus"       // the BrokerListener's name
	corpusTokenAud  = "aio-internal" // the audience every ServiceAccountToken entry requires
	corpusSAName    = "mqtt-client"  // the ServiceAccount of generate sat-client
	corpusRecreated = "recreated"    // a ServiceAccount with a uid, as read from a cluster
	corpusNamespace = "azure-iot-operations"
	recreatedUID    = "3b0f6a52-8d1e-4d52-9b7e-0c2f3f1f5a01"
)

// newCorpus makes the chains, keys, users file and bundle with the tool
// itself, starts serve custom-auth and serve broker as the built binary,
// and returns the corpus with no credentials yet.
func newCorpus(t *testing.T) *corpus {
	t.Helper()
	dir := t.TempDir()
	c := &corpus{t: t, dir: dir, ports: map[string]*corpusPort{}, names: map[string]bool{}}
	for _, d := range []string{"bundle", "tokens", "secrets", "certs"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tool := func(args ...string) string {
		t.Helper()
		r := run(t, dir, "kubectl-aio_authn", args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		return r.stdout
	}
	// Chain A (trusted) with a fleet, a look-alike chain B with the same
	// subjects and other keys, an RSA chain, an Ed25519 chain.
	tool("certs", "chain", "--out-dir", "a", "--client", "thermostat", "--client", "custom-device", "--count", "12")
	tool("certs", "chain", "--out-dir", "b", "--client", "thermostat", "--client", "custom-device")
	tool("certs", "chain", "--out-dir", "r", "--kty", "RSA", "--client", "rsa-device", "--client", "rsa-other")
	tool("certs", "chain", "--out-dir", "p384", "--crv", "P-384", "--client", "p384-device")
	tool("certs", "chain", "--out-dir", "ed", "--kty", "OKP", "--client", "ed-device")
	tool("sat", "keygen", "--out-dir", "keys-rsa", "--kty", "RSA")
	tool("sat", "keygen", "--out-dir", "keys-ec", "--kty", "EC")
	writeFile(t, filepath.Join(dir, "issuer-keys.pem"), string(readFile(t, filepath.Join(dir, "keys-rsa/sa_pub.pem")))+string(readFile(t, filepath.Join(dir, "keys-ec/sa_pub.pem"))))

	c.rsaKey = testenv.ReadPrivateKey(t, filepath.Join(dir, "keys-rsa/sa_key.pem")).(*rsa.PrivateKey)
	c.ecKey = testenv.ReadPrivateKey(t, filepath.Join(dir, "keys-ec/sa_key.pem")).(*ecdsa.PrivateKey)
	var err error
	if c.foreignKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	c.rsaKid, c.ecKid, c.foreignID = testjwt.KeyID(t, &c.rsaKey.PublicKey), testjwt.KeyID(t, &c.ecKey.PublicKey), testjwt.KeyID(t, &c.foreignKey.PublicKey)
	c.rootA, c.rootAKey = readCert(t, filepath.Join(dir, "a/root_ca_cert.pem")), testenv.ReadPrivateKey(t, filepath.Join(dir, "a/root_ca_key.pem"))
	c.interA, c.interAKey = readCert(t, filepath.Join(dir, "a/intermediate_ca_cert.pem")), testenv.ReadPrivateKey(t, filepath.Join(dir, "a/intermediate_ca_key.pem"))

	// serve custom-auth, with users that grant, deny with reasons of every
	// kind, and expire.
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	sesame := sha256.Sum256([]byte("open sesame"))
	writeFile(t, filepath.Join(dir, "users.yaml"), fmt.Sprintf(`users:
- username: alice
  password: wonderland
  attributes: {group: g1}
  expiresAfter: 1h
- username: carol
  passwordHash: %q
- username: bob
  deny: {reason: 138, message: account locked}
- username: dave
  deny: {reason: 134}
- username: erin
  deny: {reason: 5, message: an MQTT 3.1.1 reason}
- username: gina
  deny: {reason: 151}
- username: henry
  deny: {reason: 159, message: slow down}
- username: ivan
  deny: {reason: 0}
certificates:
- subject: "CN = custom-device"
  attributes: {device: custom}
enhanced:
- method: PSK-DEMO
  dataSha256: %x
  attributes: {kind: psk}
`, hash, sesame))
	authDir := filepath.Join(dir, "auth")
	if err := os.Mkdir(authDir, 0o755); err != nil {
		t.Fatal(err)
	}
	auth := startCustomAuth(t, authDir, "--users", filepath.Join(dir, "users.yaml"))

	// Ports: free ones, and one where nothing listens for the Custom entry
	// whose server is down.
	names := []string{portSATX509, portSATPlain, portRSA, portCustom, portCustomDown, portX509Plain, portOpen, portOpenTLS}
	free := testenv.FreePorts(t, len(names)+1)
	deadPort := free[len(names)]
	listener := fmt.Sprintf("apiVersion: mqttbroker.iotoperations.azure.com/v1\nkind: BrokerListener\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  ports:\n", corpusListener, corpusNamespace)
	for i, n := range names {
		p := &corpusPort{name: n, number: free[i]}
		switch n {
		case portSATX509, portSATPlain:
			p.authn = "main"
		case portRSA:
			p.authn = "rsa"
		case portCustom:
			p.authn = "custom"
		case portCustomDown:
			p.authn = "custom-down"
		case portX509Plain:
			p.authn = "x509-only"
		}
		p.tls = n == portSATX509 || n == portRSA || n == portCustom || n == portOpenTLS
		c.ports[n] = p
		listener += fmt.Sprintf("  - port: %d\n", p.number)
		if p.authn != "" {
			listener += "    authenticationRef: " + p.authn + "\n"
		}
		if p.tls {
			listener += "    tls:\n      mode: Automatic\n"
		}
	}
	writeFile(t, filepath.Join(dir, "bundle/listener.yaml"), listener)
	for file, args := range map[string][]string{
		"client-ca.yaml":      {"ca", "import", "a/client_ca.pem", "--name", "client-ca", "--dry-run=client", "-o", "yaml"},
		"client-ca-rsa.yaml":  {"ca", "import", "r/client_ca.pem", "--name", "client-ca-rsa", "--dry-run=client", "-o", "yaml"},
		"auth-server-ca.yaml": {"ca", "import", filepath.Join("auth", auth.ready.CA), "--name", "auth-server-ca", "--dry-run=client", "-o", "yaml"},
		"main.yaml":           {"generate", "authn", "--name", "main", "--method", "sat", "--method", "x509"},
		"rsa.yaml":            {"generate", "authn", "--name", "rsa", "--method", "x509", "--x509-trusted-ca", "client-ca-rsa"},
		"custom.yaml":         {"generate", "authn", "--name", "custom", "--method", "custom", "--custom-endpoint", auth.ready.Endpoint, "--custom-ca-configmap", "auth-server-ca"},
		"custom-down.yaml": {"generate", "authn", "--name", "custom-down", "--method", "custom", "--custom-endpoint", fmt.Sprintf("https://127.0.0.1:%d", deadPort),
			"--custom-ca-configmap", "auth-server-ca", "--method", "sat"},
		"x509-only.yaml":  {"generate", "authn", "--name", "x509-only", "--method", "x509"},
		"sat-client.yaml": {"generate", "sat-client", "--name", corpusSAName},
	} {
		writeFile(t, filepath.Join(dir, "bundle", file), tool(args...))
	}
	// A ServiceAccount as read from a cluster, with its uid: a token for an
	// earlier ServiceAccount of that name carries another.
	writeFile(t, filepath.Join(dir, "bundle/recreated.yaml"), fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n  namespace: %s\n  uid: %s\n",
		corpusRecreated, corpusNamespace, recreatedUID))

	c.broker = startServeBroker(t, dir, "ready.json", "-f", "bundle", "--sat-issuer-key", "issuer-keys.pem", "--sat-issuer", issuer)
	if c.broker.ready.CA == nil {
		t.Fatalf("serve broker minted no CA: %+v", c.broker.ready)
	}
	c.caFile = *c.broker.ready.CA

	for _, p := range []string{"wonderland", "looking-glass", "s3cret", ""} {
		writeFile(t, filepath.Join(dir, "secrets", "pw-"+p), p+"\n")
	}
	writeFile(t, filepath.Join(dir, "secrets", "open-sesame"), "open sesame")
	writeFile(t, filepath.Join(dir, "secrets", "shut-sesame"), "shut sesame")
	return c
}

// freePorts returns n loopback ports free right now.
// add puts a case in the corpus under a unique name.
func (c *corpus) add(k corpusCase) {
	c.t.Helper()
	if c.names[k.name] {
		c.t.Fatalf("two corpus cases named %s", k.name)
	}
	c.names[k.name] = true
	c.cases = append(c.cases, &k)
}

// on puts one credential on several ports, each case named credential@port.
func (c *corpus) on(k corpusCase, ports ...string) {
	c.t.Helper()
	base := k.name
	for _, p := range ports {
		k.port = c.ports[p]
		k.name = base + "@" + p
		c.add(k)
	}
}

// addTokens: service account tokens minted by `sat mint` and signed here
// with golang-jwt, valid and invalid in every way the API server checks.
func (c *corpus) addTokens() {
	t := c.t
	now := time.Now()
	mint := func(name string, args ...string) {
		t.Helper()
		r := run(t, c.dir, "kubectl-aio_authn", append([]string{"sat", "mint", "-n", corpusNamespace, "--service-account", corpusSAName}, args...)...)
		if r.code != 0 {
			t.Fatalf("sat mint %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		writeFile(t, filepath.Join(c.dir, "tokens", name), r.stdout)
	}
	mint("mint-rs256", "--signing-key", "keys-rsa/sa_key.pem", "--audience", corpusTokenAud)
	mint("mint-es256", "--signing-key", "keys-ec/sa_key.pem", "--audience", corpusTokenAud)
	mint("mint-audiences", "--signing-key", "keys-rsa/sa_key.pem", "--audience", "other", "--audience", corpusTokenAud)
	mint("mint-old-audience", "--signing-key", "keys-rsa/sa_key.pem", "--audience", "aio-mq")
	mint("mint-not-yet-valid", "--signing-key", "keys-ec/sa_key.pem", "--audience", corpusTokenAud, "--not-before", "10m")
	// Valid from 30 s on: within the API server's one-minute leeway now,
	// and valid outright later, so the answer cannot change during the run.
	mint("mint-nbf-in-leeway", "--signing-key", "keys-rsa/sa_key.pem", "--audience", corpusTokenAud, "--not-before", "30s")
	mint("mint-other-issuer", "--signing-key", "keys-rsa/sa_key.pem", "--audience", corpusTokenAud, "--issuer", "https://oidc.example.com")
	mint("mint-pod-bound", "--signing-key", "keys-rsa/sa_key.pem", "--audience", corpusTokenAud, "--pod", corpusSAName)

	claims := func(sa, uid string, mutate func(jwt.MapClaims)) jwt.MapClaims {
		sacl := map[string]any{"name": sa}
		if uid != "" {
			sacl["uid"] = uid
		}
		m := jwt.MapClaims{
			"iss": issuer, "sub": "system:serviceaccount:" + corpusNamespace + ":" + sa,
			"aud": []string{corpusTokenAud},
			"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
			"kubernetes.io": map[string]any{"namespace": corpusNamespace, "serviceaccount": sacl},
		}
		if mutate != nil {
			mutate(m)
		}
		return m
	}
	std := func(mutate func(jwt.MapClaims)) jwt.MapClaims { return claims(corpusSAName, "", mutate) }
	sign := func(name string, method jwt.SigningMethod, key any, kid string, cl jwt.MapClaims) {
		t.Helper()
		writeFile(t, filepath.Join(c.dir, "tokens", name), testjwt.Sign(t, method, key, kid, cl))
	}
	rs, es := jwt.SigningMethodRS256, jwt.SigningMethodES256
	sign("jwt-rs256", rs, c.rsaKey, c.rsaKid, std(nil))
	sign("jwt-es256", es, c.ecKey, c.ecKid, std(nil))
	sign("jwt-no-kid", rs, c.rsaKey, "", std(nil))
	// Expired 5 s before the corpus was made: within the leeway for 55 s,
	// far longer than the run takes; the broker lets it in and closes the
	// connection at once.
	sign("jwt-exp-in-leeway", rs, c.rsaKey, c.rsaKid, std(func(m jwt.MapClaims) { m["exp"] = now.Add(-5 * time.Second).Unix() }))
	sign("jwt-expires-soon", es, c.ecKey, c.ecKid, std(func(m jwt.MapClaims) { m["exp"] = now.Add(3 * time.Minute).Unix() }))
	sign("jwt-expired", rs, c.rsaKey, c.rsaKid, std(func(m jwt.MapClaims) { m["exp"] = now.Add(-10 * time.Minute).Unix() }))
	sign("jwt-expired-es", es, c.ecKey, c.ecKid, std(func(m jwt.MapClaims) { m["exp"] = now.Add(-48 * time.Hour).Unix() }))
	sign("jwt-not-yet-valid", rs, c.rsaKey, c.rsaKid, std(func(m jwt.MapClaims) { m["nbf"] = now.Add(10 * time.Minute).Unix() }))
	sign("jwt-issued-ahead", rs, c.rsaKey, c.rsaKid, std(func(m jwt.MapClaims) { m["iat"] = now.Add(10 * time.Minute).Unix() }))
	sign("jwt-wrong-audience", rs, c.rsaKey, c.rsaKid, std(func(m jwt.MapClaims) { m["aud"] = []string{"https://kubernetes.default.svc"} }))
	sign("jwt-no-audience", rs, c.rsaKey, c.rsaKid, std(func(m jwt.MapClaims) { delete(m, "aud") }))
	sign("jwt-wrong-issuer", es, c.ecKey, c.ecKid, std(func(m jwt.MapClaims) { m["iss"] = "https://evil.example.com" }))
	sign("jwt-unknown-kid", rs, c.rsaKey, "not-a-key-id", std(nil))
	sign("jwt-foreign-key", rs, c.foreignKey, c.foreignID, std(nil))
	sign("jwt-foreign-no-kid", rs, c.foreignKey, "", std(nil))
	sign("jwt-foreign-trusted-kid", rs, c.foreignKey, c.rsaKid, std(nil))
	sign("jwt-ec-with-rsa-kid", es, c.ecKey, c.rsaKid, std(nil))
	sign("jwt-alg-none", jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", std(nil))
	// Algorithm confusion: HMAC keyed with the RSA public key's PEM.
	sign("jwt-hs256-public-key", jwt.SigningMethodHS256, readFile(t, filepath.Join(c.dir, "keys-rsa/sa_pub.pem")), c.rsaKid, std(nil))
	sign("jwt-uid-matches", rs, c.rsaKey, c.rsaKid, claims(corpusRecreated, recreatedUID, nil))
	sign("jwt-uid-stale", rs, c.rsaKey, c.rsaKid, claims(corpusRecreated, "0c8d3f1e-1111-4222-8333-944455556666", nil))
	writeFile(t, filepath.Join(c.dir, "tokens", "not-a-token"), "this is not a JWT")

	entries, err := os.ReadDir(filepath.Join(c.dir, "tokens"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		tok := corpusCase{name: "sat-" + e.Name(), satFile: "tokens/" + e.Name()}
		c.on(tok, portSATX509, portSATPlain, portCustomDown)
		if strings.HasSuffix(e.Name(), "-rs256") || e.Name() == "jwt-expired" {
			c.on(tok, portCustom, portOpen, portRSA)
		}
	}
	// A token beside a certificate: the ServiceAccountToken entry comes
	// first and decides.
	c.add(corpusCase{name: "sat-good-and-cert", port: c.ports[portSATX509], satFile: "tokens/jwt-rs256", cert: "a/thermostat.chain", key: "a/thermostat_key.pem"})
	c.add(corpusCase{name: "sat-bad-and-cert", port: c.ports[portSATX509], satFile: "tokens/jwt-wrong-audience", cert: "a/thermostat.chain", key: "a/thermostat_key.pem"})
	// The token as a username and password, which the broker does not take.
	c.on(corpusCase{name: "sat-as-password", username: "K8S-SAT", passwordFile: "tokens/jwt-rs256"}, portSATX509, portSATPlain)
	// The method's name in another case is another method.
	c.on(corpusCase{name: "sat-lowercase-method", authMethod: "k8s-sat", authDataFile: "tokens/jwt-rs256"}, portSATX509, portSATPlain)
	c.on(corpusCase{name: "sat-no-data", authMethod: "K8S-SAT"}, portSATX509, portSATPlain)
}

// addCertificates: chains from `certs chain` and leaves signed here with
// crypto/x509, trusted, foreign, expired, and of mixed key algorithms.
func (c *corpus) addCertificates() {
	t := c.t
	dir := c.dir
	cat := func(out string, files ...string) string {
		t.Helper()
		var b strings.Builder
		for _, f := range files {
			b.Write(readFile(t, filepath.Join(dir, f)))
		}
		writeFile(t, filepath.Join(dir, out), b.String())
		return out
	}
	chainA := func(name string) (leafAlone, withIntermediate, withRoot, key string) {
		return "a/" + name + "_cert.pem",
			cat("a/"+name+".chain", "a/"+name+"_cert.pem", "a/intermediate_ca_cert.pem"),
			cat("a/"+name+".full", "a/"+name+"_cert.pem", "a/intermediate_ca_cert.pem", "a/root_ca_cert.pem"),
			"a/" + name + "_key.pem"
	}

	// The fleet of chain A, as devices present it (leaf and intermediate).
	for i := 1; i <= 12; i++ {
		alone, chain, full, key := chainA(fmt.Sprintf("device-%02d", i))
		switch {
		case i <= 8:
			c.add(corpusCase{name: fmt.Sprintf("x509-fleet-%d", i), port: c.ports[portSATX509], cert: chain, key: key})
		case i <= 10:
			c.add(corpusCase{name: fmt.Sprintf("x509-fleet-%d-with-root", i), port: c.ports[portSATX509], cert: full, key: key})
		default:
			c.add(corpusCase{name: fmt.Sprintf("x509-fleet-%d-leaf-alone", i), port: c.ports[portSATX509], cert: alone, key: key})
		}
	}
	for _, name := range []string{"thermostat", "custom-device"} {
		alone, chain, full, key := chainA(name)
		c.on(corpusCase{name: "x509-a-" + name, cert: chain, key: key}, portSATX509, portRSA, portCustom, portOpenTLS)
		c.on(corpusCase{name: "x509-a-" + name + "-with-root", cert: full, key: key}, portSATX509, portCustom)
		c.on(corpusCase{name: "x509-a-" + name + "-leaf-alone", cert: alone, key: key}, portSATX509, portCustom)
		// Certificates on a plain port: the client cannot present them
		// (the probe sends none); explain is told it has them and must
		// say they cannot count.
		c.on(corpusCase{name: "x509-a-" + name + "-plain", cert: chain, key: key}, portSATPlain, portX509Plain, portCustomDown, portOpen)
		// Chain B: the same names, other keys.
		b := cat("b/"+name+".chain", "b/"+name+"_cert.pem", "b/intermediate_ca_cert.pem")
		c.on(corpusCase{name: "x509-foreign-" + name, cert: b, key: "b/" + name + "_key.pem"}, portSATX509, portRSA, portCustom, portOpenTLS)
		c.on(corpusCase{name: "x509-foreign-" + name + "-with-root", cert: cat("b/"+name+".full", b, "b/root_ca_cert.pem"), key: "b/" + name + "_key.pem"}, portSATX509)
	}
	for _, name := range []string{"rsa-device", "rsa-other"} {
		chain := cat("r/"+name+".chain", "r/"+name+"_cert.pem", "r/intermediate_ca_cert.pem")
		c.on(corpusCase{name: "x509-rsa-" + name, cert: chain, key: "r/" + name + "_key.pem"}, portRSA, portSATX509, portCustom)
		c.on(corpusCase{name: "x509-rsa-" + name + "-leaf-alone", cert: "r/" + name + "_cert.pem", key: "r/" + name + "_key.pem"}, portRSA)
	}
	p384 := cat("p384/p384-device.chain", "p384/p384-device_cert.pem", "p384/intermediate_ca_cert.pem")
	c.on(corpusCase{name: "x509-p384-chain", cert: p384, key: "p384/p384-device_key.pem"}, portSATX509, portRSA)
	ed := cat("ed/ed-device.chain", "ed/ed-device_cert.pem", "ed/intermediate_ca_cert.pem")
	c.on(corpusCase{name: "x509-ed25519-chain", cert: ed, key: "ed/ed-device_key.pem"}, portSATX509, portOpenTLS)

	// Leaves signed here, under chain A's CAs.
	now := time.Now()
	day := 24 * time.Hour
	leaf := func(name string, key crypto.Signer, issuer *x509.Certificate, issuerKey crypto.Signer, mutate func(*x509.Certificate), chain ...*x509.Certificate) (string, string) {
		t.Helper()
		tmpl := &x509.Certificate{
			Subject:   pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * day),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if _, ok := key.(*rsa.PrivateKey); ok {
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		if mutate != nil {
			mutate(tmpl)
		}
		signed := testpki.Forge(t, tmpl, key, &testpki.Cert{Cert: issuer, Key: issuerKey})
		pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signed.Cert.Raw})
		for _, ca := range chain {
			pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile := "certs/"+name+".pem", "certs/"+name+"_key.pem"
		writeFile(t, filepath.Join(dir, certFile), string(pemData))
		writeFile(t, filepath.Join(dir, keyFile), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
		return certFile, keyFile
	}
	ec := func() crypto.Signer {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	underA := func(name string, key crypto.Signer, mutate func(*x509.Certificate)) (string, string) {
		return leaf(name, key, c.interA, c.interAKey, mutate, c.interA)
	}
	addLeaf := func(name string, cert, key string, ports ...string) {
		c.on(corpusCase{name: "x509-" + name, cert: cert, key: key}, ports...)
	}
	cert, key := underA("signed-here", ec(), nil)
	addLeaf("signed-here", cert, key, portSATX509, portRSA, portCustom)
	cert, key = underA("expired", ec(), func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(-60*day), now.Add(-day) })
	addLeaf("expired", cert, key, portSATX509, portCustom)
	cert, key = underA("expired-an-hour-ago", ec(), func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(-60*day), now.Add(-time.Hour) })
	addLeaf("expired-an-hour-ago", cert, key, portSATX509)
	cert, key = underA("not-yet-valid", ec(), func(c *x509.Certificate) { c.NotBefore = now.Add(day) })
	addLeaf("not-yet-valid", cert, key, portSATX509, portCustom)
	cert, key = underA("server-only", ec(), func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} })
	addLeaf("server-only", cert, key, portSATX509)
	cert, key = underA("any-usage", ec(), func(c *x509.Certificate) { c.ExtKeyUsage = nil })
	addLeaf("any-usage", cert, key, portSATX509)
	cert, key = leaf("under-root", ec(), c.rootA, c.rootAKey, nil)
	addLeaf("under-root", cert, key, portSATX509)
	cert, key = leaf("custom-device", ec(), c.rootA, c.rootAKey, nil)
	addLeaf("custom-device-signed-here", cert, key, portCustom)
	// Mixed key algorithms under the P-256 intermediate.
	rsaLeaf, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = underA("rsa-under-ec", rsaLeaf, nil)
	addLeaf("rsa-under-ec", cert, key, portSATX509, portRSA)
	p384Key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = underA("p384-under-p256", p384Key, nil)
	addLeaf("p384-under-p256", cert, key, portSATX509)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = underA("ed25519-under-ec", edKey, nil)
	addLeaf("ed25519-under-ec", cert, key, portSATX509)
	// An intermediate that expired, with a valid leaf under it.
	oldInter := testpki.Forge(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "Expired Intermediate CA"},
		NotBefore: now.Add(-400 * day), NotAfter: now.Add(-day),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, ec(), &testpki.Cert{Cert: c.rootA, Key: c.rootAKey})
	cert, key = leaf("under-expired-intermediate", ec(), oldInter.Cert, oldInter.Key, func(c *x509.Certificate) { c.NotBefore = now.Add(-2 * day) }, oldInter.Cert)
	addLeaf("under-expired-intermediate", cert, key, portSATX509)
	// Self-signed: its own issuer.
	self := ec()
	cert, key = leaf("self-signed", self, &x509.Certificate{Subject: pkix.Name{CommonName: "self-signed"}}, self, nil)
	addLeaf("self-signed", cert, key, portSATX509, portCustom)
}

// addPasswords: usernames and passwords for the Custom entry backed by
// serve custom-auth (granted, wrong, denied with each kind of reason), for
// the Custom entry whose server is down, and where no entry takes them.
func (c *corpus) addPasswords() {
	for _, u := range []struct{ name, user, password string }{
		{"alice", "alice", "wonderland"},
		{"alice-wrong", "alice", "looking-glass"},
		{"alice-empty", "alice", ""},
		{"carol-bcrypt", "carol", "s3cret"},
		{"carol-wrong", "carol", "wonderland"},
		{"bob-banned", "bob", "wonderland"},
		{"dave-bad-password", "dave", "wonderland"},
		{"erin-v3-reason", "erin", "wonderland"},
		{"gina-quota", "gina", "wonderland"},
		{"henry-rate", "henry", "wonderland"},
		{"ivan-reason-zero", "ivan", "wonderland"},
		{"nobody", "nobody", "wonderland"},
	} {
		c.on(corpusCase{name: "user-" + u.name, username: u.user, passwordFile: "secrets/pw-" + u.password},
			portCustom, portCustomDown, portSATX509, portSATPlain, portOpen)
	}
	c.on(corpusCase{name: "user-alice-no-password", username: "alice"}, portCustom, portSATPlain)
	c.on(corpusCase{name: "no-credentials"}, portCustom, portCustomDown, portSATX509, portSATPlain, portRSA, portX509Plain, portOpen, portOpenTLS)
	// A password with a token: the Custom entry asks the server about both.
	c.add(corpusCase{name: "user-alice-with-token", port: c.ports[portCustom], username: "alice", passwordFile: "secrets/pw-wonderland", satFile: "tokens/jwt-rs256"})
}

// addEnhanced: enhanced authentication methods other than K8S-SAT, which
// only a Custom entry can take.
func (c *corpus) addEnhanced() {
	for _, e := range []struct{ name, method, data string }{
		{"psk-good", "PSK-DEMO", "secrets/open-sesame"},
		{"psk-bad", "PSK-DEMO", "secrets/shut-sesame"},
		{"psk-no-data", "PSK-DEMO", ""},
		{"scram", "SCRAM-SHA-256", "secrets/open-sesame"},
		{"long-name", strings.Repeat("M", 300), ""},
	} {
		c.on(corpusCase{name: "enhanced-" + e.name, authMethod: e.method, authDataFile: e.data}, portCustom, portCustomDown, portSATX509, portSATPlain, portOpen)
	}
}

// addMQTT311: clients that speak MQTT 3.1.1 (mosquitto_pub -V mqttv311).
func (c *corpus) addMQTT311() {
	for _, k := range []corpusCase{
		{name: "alice", username: "alice", passwordFile: "secrets/pw-wonderland", port: c.ports[portCustom]},
		{name: "alice-wrong", username: "alice", passwordFile: "secrets/pw-looking-glass", port: c.ports[portCustom]},
		{name: "bob-banned", username: "bob", passwordFile: "secrets/pw-wonderland", port: c.ports[portCustom]},
		{name: "gina-quota", username: "gina", passwordFile: "secrets/pw-wonderland", port: c.ports[portCustom]},
		{name: "alice-server-down", username: "alice", passwordFile: "secrets/pw-wonderland", port: c.ports[portCustomDown]},
		{name: "alice-no-password-method", username: "alice", passwordFile: "secrets/pw-wonderland", port: c.ports[portSATX509]},
		{name: "token-as-password", username: "K8S-SAT", passwordFile: "tokens/jwt-rs256", port: c.ports[portSATPlain]},
		{name: "thermostat", cert: "a/thermostat.chain", key: "a/thermostat_key.pem", port: c.ports[portSATX509]},
		{name: "thermostat-leaf-alone", cert: "a/thermostat_cert.pem", key: "a/thermostat_key.pem", port: c.ports[portSATX509]},
		{name: "foreign-thermostat", cert: "b/thermostat.chain", key: "b/thermostat_key.pem", port: c.ports[portSATX509]},
		{name: "rsa-device", cert: "r/rsa-device.chain", key: "r/rsa-device_key.pem", port: c.ports[portRSA]},
		{name: "custom-device", cert: "a/custom-device.chain", key: "a/custom-device_key.pem", port: c.ports[portCustom]},
		{name: "expired-leaf", cert: "certs/expired.pem", key: "certs/expired_key.pem", port: c.ports[portSATX509]},
		{name: "anonymous", port: c.ports[portSATX509]},
		{name: "anonymous-open", port: c.ports[portOpen]},
		{name: "anonymous-open-tls", port: c.ports[portOpenTLS]},
	} {
		k.name = "mqtt311-" + k.name
		k.mqtt311 = true
		c.add(k)
	}
}

// explainCase is the --batch line of a case.
func (k *corpusCase) explainCase() explain.Case {
	port := int32(k.port.number)
	return explain.Case{
		Listener: corpusListener, Port: &port,
		Username: k.username, PasswordFile: k.passwordFile,
		AuthMethod: k.authMethod, AuthDataFile: k.authDataFile, SATFile: k.satFile,
		Cert: k.cert,
	}
}

// predict runs every case through one explain --batch.
func (c *corpus) predict() {
	t := c.t
	var lines bytes.Buffer
	for _, k := range c.cases {
		b, err := json.Marshal(k.explainCase())
		if err != nil {
			t.Fatal(err)
		}
		lines.Write(append(b, '\n'))
	}
	writeFile(t, filepath.Join(c.dir, "cases.jsonl"), lines.String())
	r := run(t, c.dir, "kubectl-aio_authn", "explain", "-f", "bundle", "--batch", "cases.jsonl",
		"--sat-issuer-key", "issuer-keys.pem", "--sat-issuer", issuer)
	if r.code != 0 && r.code != 1 {
		t.Fatalf("explain --batch: exit %d\n%s", r.code, r.stderr)
	}
	out := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(out) != len(c.cases) {
		t.Fatalf("explain --batch printed %d decisions for %d cases\n%s", len(out), len(c.cases), r.stderr)
	}
	for i, line := range out {
		if err := json.Unmarshal([]byte(line), &c.cases[i].predicted); err != nil {
			t.Fatalf("explain --batch line %d: %v\n%s", i+1, err, line)
		}
	}
}

// runLive connects with every credential, several at a time: probe -f for
// MQTT v5, mosquitto_pub for MQTT 3.1.1. Each is a process of its own.
func (c *corpus) runLive() {
	env := testEnv(c.t)
	work := make(chan *corpusCase)
	var wg sync.WaitGroup
	for range max(4, 2*runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				if k.mqtt311 {
					c.mosquittoPub(k, env)
				} else {
					c.probe(k, env)
				}
			}
		}()
	}
	for _, k := range c.cases {
		work <- k
	}
	close(work)
	wg.Wait()
}

// probeArgs are the flags of probe -f for a case.
func (c *corpus) probeArgs(k *corpusCase) []string {
	scheme := "mqtt"
	if k.port.tls {
		scheme = "mqtts"
	}
	args := []string{"probe", "--server", fmt.Sprintf("%s://127.0.0.1:%d", scheme, k.port.number), "--client-id", clientID(k.name), "--timeout", "30s"}
	args = append(args, c.tlsArgs(k)...)
	if k.username != "" {
		args = append(args, "--username", k.username)
	}
	if k.passwordFile != "" {
		args = append(args, "--password-file", k.passwordFile)
	}
	switch {
	case k.satFile != "":
		args = append(args, "--sat-file", k.satFile)
	case k.authMethod != "":
		args = append(args, "--auth-method", k.authMethod)
		if k.authDataFile != "" {
			args = append(args, "--auth-data-file", k.authDataFile)
		}
	}
	return append(args, "-f", "bundle", "--listener", corpusListener, "--sat-issuer-key", "issuer-keys.pem", "--sat-issuer", issuer, "--strict", "-o", "json")
}

// tlsArgs are the TLS flags of a case, which probe and mosquitto_pub name
// alike: the CA of the broker's minted certificate, and the client's chain
// where the port has TLS. On a plain port the client cannot present one.
func (c *corpus) tlsArgs(k *corpusCase) []string {
	switch {
	case !k.port.tls:
		return nil
	case k.cert == "":
		return []string{"--cafile", c.caFile}
	}
	return []string{"--cafile", c.caFile, "--cert", k.cert, "--key", k.key}
}

// clientID is a client identifier for a case: MQTT 3.1.1 servers need only
// accept 23 characters of 0-9a-zA-Z, so the case's name is hashed in.
func clientID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "corpus" + hex.EncodeToString(sum[:8])
}

func (c *corpus) probe(k *corpusCase, env []string) {
	stdout, stderr, exit, err := runBounded(c.dir, env, filepath.Join(binDir, "kubectl-aio_authn"), c.probeArgs(k)...)
	k.live.exit, k.live.stderr, k.live.err = exit, stderr, err
	if err == nil {
		if jerr := json.Unmarshal([]byte(stdout), &k.live.probe); jerr != nil {
			k.live.err = fmt.Errorf("probe -o json: %v\n%s", jerr, stdout)
		}
	}
}

func (c *corpus) mosquittoPub(k *corpusCase, env []string) {
	args := []string{"-V", "mqttv311", "-h", "localhost", "-p", strconv.Itoa(k.port.number), "-i", clientID(k.name), "-t", "corpus", "-m", "hello"}
	args = append(args, c.tlsArgs(k)...)
	if k.username != "" {
		args = append(args, "-u", k.username)
	}
	if k.passwordFile != "" {
		pw, err := os.ReadFile(filepath.Join(c.dir, k.passwordFile))
		if err != nil {
			k.live.err = err
			return
		}
		args = append(args, "-P", strings.TrimRight(string(pw), "\n"))
	}
	path, err := exec.LookPath("mosquitto_pub")
	if err != nil {
		k.live.err = err
		return
	}
	stdout, stderr, exit, err := runBounded(c.dir, env, path, args...)
	k.live.exit, k.live.stderr, k.live.err = exit, stdout+stderr, err
}

// runBounded runs a command, safe from any goroutine: it reports rather
// than fails the test, and a hung command is killed after serverWait.
func runBounded(dir string, env []string, name string, args ...string) (stdout, stderr string, exit int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), serverWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		return o.String(), e.String(), ee.ExitCode(), nil
	}
	if err != nil {
		err = fmt.Errorf("%s %s: %v", filepath.Base(name), strings.Join(args, " "), err)
	}
	return o.String(), e.String(), 0, err
}

// check compares, case by case, the prediction with the wire, and logs the
// corpus's make-up.
func (c *corpus) check() {
	t := c.t
	codes := map[string]int{}
	methods := map[string]int{}
	for _, k := range c.cases {
		p := k.predicted
		fail := func(format string, args ...any) {
			t.Helper()
			why := "no method decided"
			if len(p.Steps) > 0 {
				var rs []string
				for _, s := range p.Steps {
					rs = append(rs, s.Reason)
				}
				why = strings.Join(rs, "; ")
			}
			t.Errorf("%s (port %s): %s\n  explain: %s, %s\n  probe stderr: %s", k.name, k.port.name, fmt.Sprintf(format, args...), p.Decision, why, strings.TrimSpace(k.live.stderr))
		}
		if p.Error != "" {
			fail("explain --batch could not explain it: %s", p.Error)
			continue
		}
		want, ok := p.code()
		if !ok {
			// The corpus holds credentials a broker decides; an
			// undecided prediction is a corpus (or engine) mistake.
			fail("explain predicts no CONNACK (%s)", p.Decision)
			continue
		}
		if k.live.err != nil {
			fail("%v", k.live.err)
			continue
		}
		method := "none"
		if p.Method != nil {
			method = *p.Method
		}
		methods[method]++
		if k.mqtt311 {
			// MQTT 3.1.1 refuses with 5 (not authorized) whatever the
			// MQTT 5 code; mosquitto_pub exits with the CONNACK code.
			if want != 0 {
				want = 5
			}
			codes[fmt.Sprintf("MQTT 3.1.1 %d", want)]++
			if k.live.exit != int(want) {
				fail("mosquitto_pub -V mqttv311 exited %d, explain predicts CONNACK %d", k.live.exit, want)
			}
			continue
		}
		codes[fmt.Sprintf("0x%02X", want)]++
		live := k.live.probe
		switch {
		case live.Connack == nil:
			fail("no CONNACK on the wire (%s: %s), explain predicts 0x%02X", live.Outcome, live.Error, want)
		case live.Connack.Code != want:
			fail("CONNACK 0x%02X on the wire (%q), explain predicts 0x%02X", live.Connack.Code, live.Connack.ReasonString, want)
		case live.Comparison == nil || live.Prediction == nil:
			fail("probe -f printed no comparison")
		case want != 0 && live.Connack.ReasonString == "":
			fail("CONNACK 0x%02X without a reason string: serve broker sends explain's reason", want)
		case !live.Comparison.Agree || !live.Comparison.CodeMatch:
			fail("probe -f reports agree=%v codeMatch=%v: %s", live.Comparison.Agree, live.Comparison.CodeMatch, strings.Join(live.Comparison.Notes, "; "))
		case live.Prediction.Decision != p.Decision || live.Prediction.Connack == nil || live.Prediction.Connack.Code != want:
			fail("probe -f predicts %s, explain --batch %s 0x%02X", live.Prediction.Decision, p.Decision, want)
		}
		// probe's exit status: 0 in, 1 refused (--strict adds nothing
		// when they agree).
		if wantExit := map[bool]int{true: 0, false: 1}[want == 0]; k.live.exit != wantExit && live.Connack != nil {
			fail("probe exited %d, want %d", k.live.exit, wantExit)
		}
	}
	t.Logf("corpus: %d credentials; deciding entries %s; CONNACK codes %s", len(c.cases), tally(methods), tally(codes))
	// Every kind of answer the corpus means to cover came up.
	for _, want := range []string{"0x00", "0x87", "0x8C", "0x8A", "0x86", "0x97", "0x9F", "MQTT 3.1.1 0", "MQTT 3.1.1 5"} {
		if codes[want] == 0 {
			t.Errorf("no case of the corpus got %s", want)
		}
	}
	for _, want := range []string{"ServiceAccountToken", "X509", "Custom", "none"} {
		if methods[want] == 0 {
			t.Errorf("no case of the corpus was decided by %s", want)
		}
	}
}

func tally(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// testReauth: probe --reauth against serve broker, which paho's own tests
// cover and mosquitto cannot: a good token gets AUTH 0x00, a bad one
// DISCONNECT 0x87 with explain's reason.
func (c *corpus) testReauth(t *testing.T) {
	server := fmt.Sprintf("mqtts://127.0.0.1:%d", c.ports[portSATX509].number)
	type reauth struct {
		Outcome string `json:"outcome"`
		Reauth  *struct {
			Result       string `json:"result"`
			Code         *uint8 `json:"code"`
			ReasonString string `json:"reasonString"`
		} `json:"reauth"`
	}
	for _, tc := range []struct {
		name   string
		args   []string
		exit   int
		result string
		code   uint8
		reason string
	}{
		{name: "same token", args: []string{"--reauth"}, result: "success", code: 0x00},
		{name: "fresh token", args: []string{"--reauth-sat-file", "tokens/mint-es256"}, result: "success", code: 0x00},
		{name: "wrong audience", args: []string{"--reauth-sat-file", "tokens/jwt-wrong-audience"}, exit: 1, result: "failed", code: 0x87,
			reason: `has none of the configured audiences ["aio-internal"]`},
		{name: "expired", args: []string{"--reauth-sat-file", "tokens/jwt-expired"}, exit: 1, result: "failed", code: 0x87, reason: "beyond the API server's 60s leeway"},
		{name: "foreign key", args: []string{"--reauth-sat-file", "tokens/jwt-foreign-key"}, exit: 1, result: "failed", code: 0x87},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"probe", "--server", server, "--cafile", c.caFile, "--sat-file", "tokens/jwt-rs256", "-o", "json"}, tc.args...)
			r := run(t, c.dir, "kubectl-aio_authn", args...)
			var got reauth
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
			}
			if r.code != tc.exit || got.Outcome != "connected" || got.Reauth == nil || got.Reauth.Result != tc.result ||
				got.Reauth.Code == nil || *got.Reauth.Code != tc.code || !strings.Contains(got.Reauth.ReasonString, tc.reason) {
				t.Errorf("exit %d (want %d); want connected and reauth %s 0x%02X with %q:\n%s%s", r.code, tc.exit, tc.result, tc.code, tc.reason, r.stdout, r.stderr)
			}
		})
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(readFile(t, path))
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
