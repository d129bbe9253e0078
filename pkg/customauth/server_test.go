package customauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const serverUsers = `users:
- username: alice
  password: wonderland
  attributes: {group: g1}
`

func newTestServer(t *testing.T) *Server {
	t.Helper()
	u, err := ParseUsers("users.yaml", []byte(serverUsers))
	if err != nil {
		t.Fatal(err)
	}
	return NewServer(u)
}

// TestServerHTTPContract checks the answers to requests that break the API,
// in the order the broker's sample server checks them: the first rule a
// request breaks decides its status.
func TestServerHTTPContract(t *testing.T) {
	s := newTestServer(t)
	good := `{"type":"connect","username":"alice","password":"d29uZGVybGFuZA=="}`
	tests := []struct {
		name, method, target, contentType, body string
		status                                  int
		answer                                  string
	}{
		{"granted", "POST", "/?api-version=0.5.0", "application/json", good, 200, `{"attributes":{"group":"g1"}}`},
		{"no content type is accepted", "POST", "/?api-version=0.5.0", "", good, 200, `{"attributes":{"group":"g1"}}`},
		{"charset is accepted", "POST", "/?api-version=0.5.0", "application/json; charset=utf-8", good, 200, `{"attributes":{"group":"g1"}}`},
		{"query key in another case", "POST", "/?API-Version=0.5.0", "application/json", good, 200, `{"attributes":{"group":"g1"}}`},
		{"denied", "POST", "/?api-version=0.5.0", "application/json", `{"type":"connect","username":"alice"}`, 403, `{"reason":135}`},
		{"missing api-version", "POST", "/", "application/json", good, 400, "missing api-version"},
		{"other api-version", "POST", "/?api-version=0.6.0", "application/json", good, 422, `{"supportedVersions":["0.5.0"]}`},
		{"escaped version is another version", "POST", "/?api-version=0%2E5%2E0", "application/json", good, 422, `{"supportedVersions":["0.5.0"]}`},
		{"GET", "GET", "/?api-version=0.5.0", "", "", 405, "GET not allowed"},
		{"PUT", "PUT", "/?api-version=0.5.0", "application/json", good, 405, "PUT not allowed"},
		{"text content type", "POST", "/?api-version=0.5.0", "text/plain", good, 400, "invalid content-type: text/plain"},
		{"empty body", "POST", "/?api-version=0.5.0", "application/json", "", 400, "missing body"},
		{"other path", "POST", "/auth?api-version=0.5.0", "application/json", good, 404, "/auth not found"},
		{"method before path", "GET", "/auth", "", "", 405, "GET not allowed"},
		{"path before version", "POST", "/auth?api-version=9", "application/json", good, 404, "/auth not found"},
		{"query part without =", "POST", "/?api-version", "application/json", good, 400, "bad query value"},
		{"not JSON", "POST", "/?api-version=0.5.0", "application/json", "type=connect", 400, "invalid client request body: invalid character 'y' in literal true (expecting 'r')"},
		{"trailing data", "POST", "/?api-version=0.5.0", "application/json", good + "{}", 400, "invalid client request body: trailing data after the JSON object"},
		{"password not base64", "POST", "/?api-version=0.5.0", "application/json", `{"type":"connect","username":"alice","password":"wonderland!"}`, 400, "invalid client request body: illegal base64 data at input byte 10"},
		{"not UTF-8", "POST", "/?api-version=0.5.0", "application/json", "{\"type\":\"\xff\"}", 400, "unable to parse body"},
		{"too large", "POST", "/?api-version=0.5.0", "application/json", `{"type":"connect","username":"` + strings.Repeat("a", MaxRequestBody) + `"}`, 413, "request body larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := httptest.NewRecorder()
			var events []Event
			s.OnRequest = func(e Event) { events = append(events, e) }
			s.ServeHTTP(w, r)
			if w.Code != tt.status || w.Body.String() != tt.answer {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.answer)
			}
			wantType := "text/plain; charset=utf-8"
			if strings.HasPrefix(tt.answer, "{") {
				wantType = "application/json"
			}
			if ct := w.Header().Get("Content-Type"); ct != wantType {
				t.Errorf("Content-Type %q, want %q", ct, wantType)
			}
			if len(events) != 1 || events[0].Status != tt.status || events[0].Event != "request" {
				t.Fatalf("events %+v, want one for status %d", events, tt.status)
			}
			e := events[0]
			switch {
			case tt.status == 200 && e.Decision != DecisionGranted,
				tt.status == 403 && (e.Decision != DecisionDenied || e.Reason == nil || *e.Reason != 135),
				tt.status != 200 && tt.status != 403 && (e.Decision != DecisionRejected || e.Message != tt.answer && tt.status != 422):
				t.Errorf("event %+v for %d %s", e, tt.status, tt.answer)
			}
		})
	}
}

// TestClientAgainstServer runs the package's client (what explain uses)
// against its server over real TLS: the grant, the denial and the expiry
// arrive as sent.
func TestClientAgainstServer(t *testing.T) {
	u, err := ParseUsers("users.yaml", []byte(serverUsers+"  expiry: 2031-02-03T04:05:06Z\n- username: bob\n  deny: {reason: 138, message: locked}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(u)
	var mu sync.Mutex
	var events []Event
	s.OnRequest = func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }
	hs := httptest.NewUnstartedServer(s)
	hs.Config.ErrorLog = quietLog
	hs.StartTLS()
	defer hs.Close()
	srv := &authServer{Server: hs}
	c := srv.client(t, Options{})

	alice := "alice"
	res, err := c.Authenticate(context.Background(), &Request{Type: TypeConnect, Username: &alice, Password: []byte("wonderland")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Granted || res.Attributes["group"] != "g1" || res.Expiry == nil || !res.Expiry.Equal(time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("alice: %+v", res)
	}
	bob := "bob"
	res, err = c.Authenticate(context.Background(), &Request{Type: TypeConnect, Username: &bob, Password: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Denied || res.Reason == nil || *res.Reason != 138 || res.Message != "locked" || res.Problem != "" {
		t.Errorf("bob: %+v", res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0].Username == nil || *events[0].Username != "alice" || events[1].Entry != "users.yaml:6" {
		t.Errorf("events %+v", events)
	}
}

// TestServerReload checks that a reload swaps the users file when the new
// one is good and keeps the old one when it is not.
func TestServerReload(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/users.yaml"
	write := func(s string) {
		t.Helper()
		if err := writeFile(path, s); err != nil {
			t.Fatal(err)
		}
	}
	write(serverUsers)
	u, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(u)
	ask := func() int {
		r := httptest.NewRequest("POST", "/?api-version=0.5.0", strings.NewReader(`{"type":"connect","username":"alice","password":"d29uZGVybGFuZA=="}`))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	if got := ask(); got != 200 {
		t.Fatalf("before reload: %d", got)
	}
	write("users:\n- username: alice\n  deny: {reason: 135}\n")
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := ask(); got != 403 {
		t.Errorf("after a good reload: %d, want 403", got)
	}
	write("users:\n- username: alice\n  password: x\n  deny: {reason: 135}\n")
	err = s.Reload()
	if err == nil || !strings.Contains(err.Error(), "users.yaml:3:") {
		t.Errorf("reload of a bad file: %v", err)
	}
	if got := ask(); got != 403 {
		t.Errorf("after a bad reload: %d, want the previous file's 403", got)
	}
}

var _ http.Handler = (*Server)(nil)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
