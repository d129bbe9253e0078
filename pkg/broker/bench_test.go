package broker

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
)

// BenchmarkConnect measures one client's whole connection: dial, TLS with
// a client certificate (X.509) or plain TCP with a token (K8S-SAT), CONNECT
// judged by the engine, CONNACK, DISCONNECT. Run it with
//
//	go test ./pkg/broker -run '^$' -bench Connect -benchtime 200x
func BenchmarkConnect(b *testing.B) {
	f := newFixture(b)
	ports := freePorts(b, 2)
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
