package broker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/customauth"
)

// These tests drive the broker with paho.golang for what mosquitto's
// clients cannot send: AUTH packets (re-authentication).

// authHandler receives the AUTH packets of an exchange the broker keeps
// going (0x18) and answers them. paho panics on a nil answer, and crashes
// on a CONNACK that echoes the method without a handler: there is always
// one.
type authHandler struct {
	received chan *paho.Auth
	answer   func(*paho.Auth) *paho.Auth
}

func (h *authHandler) Authenticate(a *paho.Auth) *paho.Auth {
	h.received <- a
	return h.answer(a)
}

func (h *authHandler) Authenticated() {}

type pahoClient struct {
	*paho.Client
	auth        *authHandler
	disconnects chan *paho.Disconnect
}

// connectPaho dials address (with TLS when tlsConfig is set) and sends
// CONNECT with the enhanced authentication method and data, if any.
func connectPaho(t *testing.T, address string, tlsConfig *tls.Config, clientID, method string, data []byte) (*pahoClient, *paho.Connack, error) {
	t.Helper()
	var conn net.Conn
	var err error
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if tlsConfig != nil {
		conn, err = tls.DialWithDialer(dialer, "tcp", address, tlsConfig)
	} else {
		conn, err = dialer.Dial("tcp", address)
	}
	if err != nil {
		t.Fatal(err)
	}
	pc := &pahoClient{
		auth:        &authHandler{received: make(chan *paho.Auth, 8), answer: func(a *paho.Auth) *paho.Auth { return &paho.Auth{ReasonCode: 0x18, Properties: a.Properties} }},
		disconnects: make(chan *paho.Disconnect, 1),
	}
	pc.Client = paho.NewClient(paho.ClientConfig{
		Conn:               packets.NewThreadSafeConn(conn),
		AuthHandler:        pc.auth,
		OnServerDisconnect: func(d *paho.Disconnect) { pc.disconnects <- d },
		OnClientError:      func(error) {},
	})
	t.Cleanup(func() { pc.Client.Disconnect(&paho.Disconnect{}) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// RequestProblemInfo: paho sends 0 when properties are set, and the
	// broker then leaves reason strings out.
	props := &paho.ConnectProperties{RequestProblemInfo: true, AuthMethod: method, AuthData: data}
	ack, err := pc.Connect(ctx, &paho.Connect{ClientID: clientID, KeepAlive: 30, CleanStart: true, Properties: props})
	return pc, ack, err
}

func reauthenticate(t *testing.T, c *pahoClient, method string, data []byte) *paho.AuthResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.Authenticate(ctx, &paho.Auth{ReasonCode: 0x19, Properties: &paho.AuthProperties{AuthMethod: method, AuthData: data}})
	if err != nil {
		t.Fatalf("re-authentication: %v", err)
	}
	return resp
}

func clientTLS(t testing.TB, f *fixture, b *Broker) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if b.Minted() == nil || !pool.AppendCertsFromPEM(b.Minted().CAPEM()) {
		t.Fatal("no CA")
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

func TestPahoReauthenticateServiceAccountToken(t *testing.T) {
	f := newFixture(t)
	port := testenv.FreePorts(t, 1)[0]
	b, events := start(t, Options{
		Bundle: f.bundle(t, authnYAML("default", satEntry, x509Entry), listenerYAML(listenerPort{port: port, authn: "default", tls: true})),
		Engine: authn.Options{Keys: f.keys},
	})
	address, tlsConfig := b.Ports()[0].Address, clientTLS(t, f, b)
	now := time.Now()

	c, ack, err := connectPaho(t, address, tlsConfig, "sat-client", authn.SATMethod, []byte(f.token(t, now, time.Hour, "aio-internal")))
	if err != nil {
		t.Fatal(err)
	}
	// MQTT 5.0 wants the method echoed in a successful CONNACK.
	if ack.Properties == nil || ack.Properties.AuthMethod != authn.SATMethod {
		t.Errorf("CONNACK properties %+v: want the authentication method K8S-SAT", ack.Properties)
	}

	fresh := f.token(t, now, 2*time.Hour, "aio-internal")
	resp := reauthenticate(t, c, authn.SATMethod, []byte(fresh))
	if !resp.Success || resp.ReasonCode != 0x00 {
		t.Fatalf("re-authentication with a fresh token: %+v %+v", resp, resp.Properties)
	}
	ev := events.waitFor(t, "reauth", func(ev Event) bool { return ev.Event == EventReauth })
	wantExpiry := now.Add(2 * time.Hour).Truncate(time.Second)
	if *ev.Decision != authn.Granted || ev.Reply.Packet != "AUTH" || ev.Reply.Code.Code != 0 || ev.ExpiresAt == nil || !ev.ExpiresAt.Equal(wantExpiry) {
		t.Errorf("reauth event %+v, want granted with AUTH 0x00 until %s", ev, wantExpiry)
	}

	// A method other than the CONNECT's is a protocol error.
	other, _, err := connectPaho(t, address, tlsConfig, "other-method", authn.SATMethod, []byte(fresh))
	if err != nil {
		t.Fatal(err)
	}
	resp = reauthenticate(t, other, "PSK-DEMO", []byte("x"))
	if resp.Success || resp.ReasonCode != 0x82 || !strings.Contains(resp.Properties.ReasonString, `AUTH with method "PSK-DEMO" on a connection authenticated with "K8S-SAT"`) {
		t.Errorf("re-authentication with another method: %+v %+v", resp, resp.Properties)
	}

	// A token the engine refuses: DISCONNECT 0x87 with explain's reason.
	resp = reauthenticate(t, c, authn.SATMethod, []byte(f.token(t, now, time.Hour, "aio-mq")))
	if resp.Success || resp.ReasonCode != 0x87 {
		t.Fatalf("re-authentication with a token for another audience: %+v", resp)
	}
	if want := `ServiceAccountToken (entry 0): aud ["aio-mq"] has none of the configured audiences ["aio-internal"]`; !strings.HasPrefix(resp.Properties.ReasonString, want) {
		t.Errorf("reason string %q, want it to start with %q", resp.Properties.ReasonString, want)
	}
	waitDone(t, c)
	events.waitFor(t, "disconnect", func(ev Event) bool {
		return ev.Event == EventDisconnect && ev.ClientID == "sat-client" && ev.Reason == "the broker sent DISCONNECT 0x87 Not authorized"
	})
}

func waitDone(t *testing.T, c *pahoClient) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the connection is still open")
	}
}

func TestPahoReauthenticateX509(t *testing.T) {
	f := newFixture(t)
	port := testenv.FreePorts(t, 1)[0]
	b, events := start(t, Options{
		Bundle: f.bundle(t, authnYAML("default", satEntry, x509Entry), listenerYAML(listenerPort{port: port, authn: "default", tls: true})),
		Engine: authn.Options{Keys: f.keys},
	})
	tlsConfig := clientTLS(t, f, b)
	cert, err := tls.LoadX509KeyPair(f.path("thermostat_chain.pem"), f.path("certs/thermostat_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig.Certificates = []tls.Certificate{cert}

	c, ack, err := connectPaho(t, b.Ports()[0].Address, tlsConfig, "thermostat", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Properties != nil && ack.Properties.AuthMethod != "" {
		t.Errorf("CONNACK echoes method %q to a client that sent none", ack.Properties.AuthMethod)
	}
	resp := reauthenticate(t, c, authn.SATMethod, []byte(f.token(t, time.Now(), time.Hour, "aio-internal")))
	if resp.Success || resp.ReasonCode != 0x87 || !strings.HasPrefix(resp.Properties.ReasonString, "X509 (entry 1): X.509 clients cannot re-authenticate") {
		t.Fatalf("re-authentication of an X.509 client: %+v %+v", resp, resp.Properties)
	}
	waitDone(t, c)
	ev := events.waitFor(t, "reauth", func(ev Event) bool { return ev.Event == EventReauth })
	if *ev.Decision != authn.Denied || ev.Reply.Packet != "DISCONNECT" || ev.Reply.Code.Code != 0x87 {
		t.Errorf("%+v", ev)
	}
}

// customServer is a real HTTPS custom auth server on a loopback port, as
// API 0.5.0 describes it: it grants enhanced authentication data that
// starts with "good", with an expiry, and refuses the rest.
type customServer struct {
	t       *testing.T
	address string
	caPEM   string
	mu      sync.Mutex
	types   []string
	srv     *httptest.Server
}

func startCustomServer(t *testing.T) *customServer {
	t.Helper()
	s := &customServer{t: t}
	s.up("127.0.0.1:0")
	s.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}))
	t.Cleanup(s.down)
	return s
}

func (s *customServer) up(address string) {
	l, err := net.Listen("tcp", address)
	if err != nil {
		s.t.Fatal(err)
	}
	s.address = l.Addr().String()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	srv.Listener.Close()
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	s.srv = srv
}

func (s *customServer) down() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

func (s *customServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Query().Get("api-version") != customauth.APIVersion {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var req customauth.Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.types = append(s.types, req.Type)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if req.EnhancedAuthentication == nil || !strings.HasPrefix(string(req.EnhancedAuthentication.Data), "good") {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"reason":135,"message":"unknown secret"}`)
		return
	}
	json.NewEncoder(w).Encode(customauth.GrantedResponse{Expiry: ptr(time.Now().Add(time.Hour).UTC().Truncate(time.Second)), Attributes: map[string]string{"tier": "gold"}})
}

func ptr[T any](v T) *T { return &v }

// TestPahoReauthenticateCustomServerDown: while the custom auth server is
// down the broker answers AUTH 0x18 and keeps the connection; the client
// answers with its data again, the server is back, and the broker grants.
func TestPahoReauthenticateCustomServerDown(t *testing.T) {
	f := newFixture(t)
	s := startCustomServer(t)
	port := testenv.FreePorts(t, 1)[0]
	b, events := start(t, Options{
		Bundle: f.bundle(t, authnYAML("custom", customEntry("https://"+s.address)), configMapYAML("auth-server-ca", "ca.crt", s.caPEM),
			listenerYAML(listenerPort{port: port, authn: "custom", tls: true})),
		Engine: authn.Options{CustomTimeout: 5 * time.Second},
	})
	c, ack, err := connectPaho(t, b.Ports()[0].Address, clientTLS(t, f, b), "psk-client", "PSK-DEMO", []byte("good-1"))
	if err != nil {
		t.Fatalf("connect: %v (CONNACK %+v)", err, ack)
	}
	if ack.Properties.AuthMethod != "PSK-DEMO" {
		t.Errorf("CONNACK method %q", ack.Properties.AuthMethod)
	}

	address := s.address
	s.down()
	// The client answers the broker's AUTH 0x18 with the same data, once
	// the server is back.
	c.auth.answer = func(a *paho.Auth) *paho.Auth {
		s.up(address)
		return &paho.Auth{ReasonCode: 0x18, Properties: &paho.AuthProperties{AuthMethod: "PSK-DEMO", AuthData: []byte("good-2")}}
	}
	resp := reauthenticate(t, c, "PSK-DEMO", []byte("good-2"))
	if !resp.Success || resp.ReasonCode != 0x00 {
		t.Fatalf("re-authentication: %+v %+v", resp, resp.Properties)
	}
	var cont *paho.Auth
	select {
	case cont = <-c.auth.received:
	default:
		t.Fatal("the broker never answered AUTH 0x18 while the server was down")
	}
	if cont.ReasonCode != 0x18 || cont.Properties.AuthMethod != "PSK-DEMO" || !strings.Contains(cont.Properties.ReasonString, "auth server unreachable") {
		t.Errorf("AUTH while the server was down: %+v %+v", cont, cont.Properties)
	}

	var replies []string
	for _, ev := range events.events(t) {
		if ev.Event == EventReauth {
			replies = append(replies, ev.Reply.Packet+" "+ev.Reply.Name)
		}
	}
	if got := strings.Join(replies, ", "); got != "AUTH Continue authentication, AUTH Success" {
		t.Errorf("re-authentication replies %q", got)
	}
	s.mu.Lock()
	types := strings.Join(s.types, " ")
	s.mu.Unlock()
	if types != "connect auth" {
		t.Errorf("the server received %q, want connect then auth", types)
	}

	// Refused by the server: DISCONNECT with its reason.
	resp = reauthenticate(t, c, "PSK-DEMO", []byte("wrong"))
	if resp.Success || resp.ReasonCode != 0x87 || !strings.Contains(resp.Properties.ReasonString, `auth server denied (403) with reason 0x87 Not authorized: "unknown secret"`) {
		t.Errorf("refused re-authentication: %+v %+v", resp, resp.Properties)
	}
	waitDone(t, c)
}

// TestPahoRefusedConnack: the refusal's reason string is explain's reason.
func TestPahoRefusedConnack(t *testing.T) {
	f := newFixture(t)
	port := testenv.FreePorts(t, 1)[0]
	b, _ := start(t, Options{
		Bundle: f.bundle(t, authnYAML("default", satEntry), listenerYAML(listenerPort{port: port, authn: "default"})),
		Engine: authn.Options{Keys: f.keys},
	})
	_, ack, err := connectPaho(t, b.Ports()[0].Address, nil, "late", authn.SATMethod, []byte(f.token(t, time.Now().Add(-2*time.Hour), time.Hour, "aio-internal")))
	if err == nil || ack == nil || ack.ReasonCode != 0x87 {
		t.Fatalf("connect with an expired token: %v %+v", err, ack)
	}
	if want := "ServiceAccountToken (entry 0): expired 60m ago"; !strings.HasPrefix(ack.Properties.ReasonString, want) {
		t.Errorf("reason string %q, want it to start with %q", ack.Properties.ReasonString, want)
	}
}

// TestCancelDisconnectsClients: the end of Start's context stops the broker,
// which sends DISCONNECT 0x8B first.
func TestCancelDisconnectsClients(t *testing.T) {
	f := newFixture(t)
	port := testenv.FreePorts(t, 1)[0]
	events := &eventLog{}
	b, err := New(Options{Bundle: f.bundle(t, listenerYAML(listenerPort{port: port})), Events: events})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c, _, err := connectPaho(t, b.Ports()[0].Address, nil, "stays", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A connection that never sends CONNECT is closed too.
	idle, err := net.Dial("tcp", b.Ports()[0].Address)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	cancel()
	select {
	case d := <-c.disconnects:
		if d.ReasonCode != 0x8B {
			t.Errorf("DISCONNECT 0x%02X, want 0x8B Server shutting down", d.ReasonCode)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no DISCONNECT")
	}
	idle.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: %v, want EOF", err)
	}
	events.waitFor(t, "disconnect", func(ev Event) bool {
		return ev.Event == EventDisconnect && ev.Reason == "the broker sent DISCONNECT 0x8B Server shutting down"
	})
	// Closing again waits for the first close and does nothing more.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
