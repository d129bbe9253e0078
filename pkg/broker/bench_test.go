package broker

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/probe"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// BenchmarkConnect measures one client's whole connection: dial, TLS with
// a client certificate (X.509) or plain TCP with a token (K8S-SAT), CONNECT
// judged by the engine, CONNACK, DISCONNECT. Run it with
//
//	go test ./pkg/broker -run '^$' -bench Connect -benchtime 200x
func BenchmarkConnect(b *testing.B) {
	f := newFixture(b)
	ports := testenv.FreePorts(b, 2)
	brk, err := New(Options{
		Bundle: f.bundle(b, authnYAML("default", satEntry, x509Entry),
			listenerYAML(listenerPort{port: ports[0], authn: "default", tls: true}, listenerPort{port: ports[1], authn: "default"})),
		Engine: authn.Options{Keys: f.keys},
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := brk.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer brk.Close()
	cert, err := tls.LoadX509KeyPair(f.path("thermostat_chain.pem"), f.path("certs/thermostat_key.pem"))
	if err != nil {
		b.Fatal(err)
	}
	tlsConfig := clientTLS(b, f, brk)
	tlsConfig.Certificates = []tls.Certificate{cert}
	token := []byte(f.token(b, time.Now(), time.Hour, "aio-internal"))

	connect := func(b *testing.B, conn net.Conn, props *paho.ConnectProperties) {
		c := paho.NewClient(paho.ClientConfig{Conn: packets.NewThreadSafeConn(conn), AuthHandler: &authHandler{received: make(chan *paho.Auth, 1)}})
		ack, err := c.Connect(context.Background(), &paho.Connect{ClientID: "bench", CleanStart: true, KeepAlive: 30, Properties: props})
		if err != nil || ack.ReasonCode != 0 {
			b.Fatalf("connect: %v", err)
		}
		c.Disconnect(&paho.Disconnect{})
	}
	b.Run("X509", func(b *testing.B) {
		for range b.N {
			conn, err := tls.Dial("tcp", brk.Ports()[0].Address, tlsConfig)
			if err != nil {
				b.Fatal(err)
			}
			connect(b, conn, &paho.ConnectProperties{RequestProblemInfo: true})
		}
	})
	b.Run("SAT", func(b *testing.B) {
		for range b.N {
			conn, err := net.Dial("tcp", brk.Ports()[1].Address)
			if err != nil {
				b.Fatal(err)
			}
			connect(b, conn, &paho.ConnectProperties{RequestProblemInfo: true, AuthMethod: authn.SATMethod, AuthData: token})
		}
	})
}

// BenchmarkBareRS256 is the physical floor of a K8S-SAT connect: the RS256
// signature check of one token alone (split, decode, hash, verify with
// crypto/rsa), the least work any broker must do per token. Serial is one
// core's rate; Parallel runs on every core (GOMAXPROCS), as the broker
// does. hack/bench-wire.sh passes the token it connects with and the public
// key (AIO_AUTHN_BENCH_TOKEN, AIO_AUTHN_BENCH_KEY, both files); without
// them the benchmark mints an RSA-2048 token of its own.
//
//	go test ./pkg/broker -run '^$' -bench BareRS256
func BenchmarkBareRS256(b *testing.B) {
	token, pub := benchToken(b)
	i := strings.LastIndexByte(token, '.')
	signed, sig := token[:i], token[i+1:]
	verify := func() {
		s, err := base64.RawURLEncoding.DecodeString(sig)
		if err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256([]byte(signed))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], s); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Serial", func(b *testing.B) {
		for b.Loop() {
			verify()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
	})
	b.Run("Parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				verify()
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
	})
}

// benchToken is the token and RSA public key of BenchmarkBareRS256.
func benchToken(b *testing.B) (string, *rsa.PublicKey) {
	tokenFile, keyFile := os.Getenv("AIO_AUTHN_BENCH_TOKEN"), os.Getenv("AIO_AUTHN_BENCH_KEY")
	if tokenFile == "" || keyFile == "" {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			b.Fatal(err)
		}
		tok, err := sat.Mint(sat.MintSpec{Key: key, ServiceAccount: "mqtt-client", Namespace: namespace, Audiences: []string{"aio-internal"}, Duration: time.Hour, Now: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		return tok, &key.PublicKey
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		b.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		b.Fatalf("%s: no PEM", keyFile)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		b.Fatalf("%s: %v", keyFile, err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		b.Fatalf("%s: a %T, not an RSA key: the floor is RS256", keyFile, pub)
	}
	return strings.TrimSpace(string(tok)), rsaPub
}

// BenchmarkRate is the connect-rate runner of probe (--count, 8 at a time)
// against the broker in this process, for a CPU profile of both:
//
//	go test ./pkg/broker -run '^$' -bench Rate/SAT -benchtime 20000x -cpuprofile cpu.out
//	go tool pprof -top -cum -focus 'listener..handle' cpu.out
//
// SAT is K8S-SAT (an RS256 token) on a plain port, Open a plain port
// without authentication: the broker's cost of a connect without the
// engine. hack/bench-wire.sh measures the built binary the same way.
func BenchmarkRate(b *testing.B) {
	f := newFixture(b)
	keys := f.path("rsa-keys")
	if _, err := sat.Keygen(sat.KeygenSpec{OutDir: keys, KeyType: "RSA"}); err != nil {
		b.Fatal(err)
	}
	keySet, err := sat.LoadKeySet(filepath.Join(keys, sat.JWKSFile))
	if err != nil {
		b.Fatal(err)
	}
	signer, err := sat.LoadSigningKey(filepath.Join(keys, sat.SigningKeyFile))
	if err != nil {
		b.Fatal(err)
	}
	token, err := sat.Mint(sat.MintSpec{Key: signer, ServiceAccount: "mqtt-client", Namespace: namespace, Audiences: []string{"aio-internal"}, Duration: time.Hour, Now: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	ports := testenv.FreePorts(b, 2)
	brk, _ := start(b, Options{
		Bundle: f.bundle(b, authnYAML("default", satEntry), listenerYAML(listenerPort{port: ports[0], authn: "default"}, listenerPort{port: ports[1]})),
		Engine: authn.Options{Keys: keySet},
	})
	for i, tc := range []struct {
		name  string
		creds probe.Credentials
	}{
		{"SAT", probe.Credentials{AuthMethod: authn.SATMethod, AuthData: []byte(token)}},
		{"Open", probe.Credentials{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			_, port := hostPort(b, brk.Ports()[i].Address)
			n, _ := strconv.Atoi(port)
			p, err := probe.New(probe.Config{Server: probe.Server{Host: "127.0.0.1", Port: n}, Credentials: tc.creds, KeepAlive: 60})
			if err != nil {
				b.Fatal(err)
			}
			r := p.Rate(context.Background(), probe.RateOptions{Count: b.N, Concurrency: 8})
			if r.OK != b.N {
				b.Fatalf("%+v", r)
			}
			b.ReportMetric(r.ConnectsPerSec, "connects/s")
		})
	}
}
