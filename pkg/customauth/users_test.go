package customauth

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// TestParseUsersErrorsNameTheLineAndTheFix feeds broken users files and
// checks that each error is one line naming file:line and what to write.
func TestParseUsersErrorsNameTheLineAndTheFix(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"password and deny", "users:\n- username: bob\n  password: x\n  deny: {reason: 135}\n",
			`u.yaml:3: users[0]: user "bob" has password and deny: a denied user is refused whatever the password; remove one of them`},
		{"hash and deny", "users:\n- username: bob\n  deny: {reason: 135}\n  passwordHash: x\n",
			`u.yaml:4: users[0]: user "bob" has passwordHash and deny`},
		{"unknown top key", "users: []\nclients: []\n", `u.yaml:2: the file: unknown key "clients": a users file has users, certificates and enhanced lists`},
		{"unknown user key", "users:\n- username: a\n  pasword: x\n", `u.yaml:3: users[0]: unknown key "pasword": a user has username, password or passwordHash`},
		{"no password", "users:\n- username: a\n", `u.yaml:2: users[0]: user "a" has no password, passwordHash or deny: give one`},
		{"no username", "users:\n- password: a\n", `u.yaml:2: users[0]: username is missing`},
		{"both passwords", "users:\n- username: a\n  password: x\n  passwordHash: y\n", `u.yaml:4: users[0]: both password and passwordHash: keep one`},
		{"bad hash", "users:\n- username: a\n  passwordHash: nothash\n", `u.yaml:3: users[0].passwordHash: not a bcrypt hash`},
		{"duplicate user", "users:\n- username: a\n  password: x\n- username: a\n  password: y\n", `u.yaml:4: users[1]: user "a" is already at line 2: keep one entry per user`},
		{"duplicate key", "users:\n- username: a\n  password: x\n  password: y\n", `u.yaml:4: users[0]: password appears twice (first at line 3): keep one`},
		{"bad duration", "users:\n- username: a\n  password: x\n  expiresAfter: soon\n", `u.yaml:4: users[0].expiresAfter: "soon" is not a positive duration: write one such as 1h, 30m or 7d`},
		{"negative duration", "users:\n- username: a\n  password: x\n  expiresAfter: -1h\n", `u.yaml:4: users[0].expiresAfter: "-1h" is not a positive duration`},
		{"bad expiry", "users:\n- username: a\n  password: x\n  expiry: tomorrow\n", `u.yaml:4: users[0].expiry: "tomorrow" is not an RFC 3339 time: write it like 2030-01-01T00:00:00Z`},
		{"both expiries", "users:\n- username: a\n  password: x\n  expiresAfter: 1h\n  expiry: 2030-01-01T00:00:00Z\n", `u.yaml:5: users[0]: both expiresAfter and expiry: keep one`},
		{"deny with attributes", "users:\n- username: a\n  attributes: {g: x}\n  deny: {reason: 135}\n", `u.yaml:3: users[0]: attributes with deny: a denial carries no attributes; remove one of them`},
		{"deny without reason", "users:\n- username: a\n  deny: {message: locked}\n", `u.yaml:3: users[0].deny: reason is missing`},
		{"reason too big", "users:\n- username: a\n  deny: {reason: 300}\n", `u.yaml:3: users[0].deny.reason: "300" is not a reason code: write a whole number from 0 to 255`},
		{"unknown deny key", "users:\n- username: a\n  deny: {reason: 135, why: x}\n", `u.yaml:3: users[0].deny: unknown key "why": write deny: {reason: 135, message: "account locked"}`},
		{"attributes list", "users:\n- username: a\n  password: x\n  attributes: [a]\n", `u.yaml:4: users[0].attributes: expected a mapping of names to values, like {group: g1}`},
		{"attribute null", "users:\n- username: a\n  password: x\n  attributes: {g: }\n", `u.yaml:4: users[0].attributes.g: expected a value such as g1`},
		{"users not a list", "users: {username: a}\n", `u.yaml:1: users: expected a list of entries`},
		{"certificate without key", "certificates:\n- attributes: {}\n", `u.yaml:2: certificates[0]: subject or sha256 is missing`},
		{"certificate both", "certificates:\n- subject: CN = a\n  sha256: " + strings.Repeat("ab", 32) + "\n", `u.yaml:3: certificates[0]: both subject and sha256: keep one`},
		{"bad subject", "certificates:\n- subject: \"nonsense\"\n", `u.yaml:2: certificates[0].subject: `},
		{"short sha256", "certificates:\n- sha256: abcd\n", `u.yaml:2: certificates[0].sha256: "abcd" is not a SHA-256 in hex (64 hex digits)`},
		{"duplicate subject", "certificates:\n- subject: CN = a, O = b\n- subject: O = b,CN = a\n", `u.yaml:3: certificates[1]: the same certificate as line 2`},
		{"enhanced without data", "enhanced:\n- method: PSK\n", `u.yaml:2: enhanced[0]: dataSha256 is missing`},
		{"enhanced without method", "enhanced:\n- dataSha256: " + strings.Repeat("ab", 32) + "\n", `u.yaml:2: enhanced[0]: method is missing`},
		{"empty", "# nothing\n", `u.yaml: holds no entries: list users, certificates or enhanced`},
		{"two documents", "users: []\n---\nusers: []\n", `u.yaml:3: a second YAML document`},
		{"syntax", "users:\n- username: [a\n", `u.yaml:1: did not find expected ',' or ']': fix the YAML`},
		{"not a mapping", "- a\n", `u.yaml:1: the file: expected a mapping`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseUsers("u.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("no error for\n%s", tt.file)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error\n  %s\nwant one line starting\n  %s", err, tt.want)
			}
		})
	}
}

// TestParseUsersRefusesAliasBombs checks a file whose aliases expand
// without end is refused before it is walked.
func TestParseUsersRefusesAliasBombs(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 8; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err := ParseUsers("u.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "u.yaml:1: the document's aliases expand to more than") {
		t.Fatalf("error %v, want the alias expansion refused at line 1", err)
	}
}

// TestLoadUsersCapsTheFile checks the users file goes through the bounded
// reader: a file over the cap is refused by name before it is parsed.
func TestLoadUsersCapsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(path, []byte("users: []\n"+strings.Repeat("#", 5<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadUsers(path)
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB, the cap for a users file") {
		t.Fatalf("error %v, want the cap", err)
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// decisionCase is one request and the status and body the users file below
// answers it with.
type decisionCase struct {
	name   string
	req    Request
	status int
	body   string
	entry  string
}

func strp(s string) *string { return &s }

func TestDecide(t *testing.T) {
	fan := readExampleChain(t, "smart-fan")
	lamp := readExampleChain(t, "old-lamp")
	thermostat := readExampleChain(t, "thermostat")
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := `users:
- username: alice
  password: wonderland
  attributes: {group: g1}
  expiresAfter: 1h
- username: carol
  passwordHash: "` + string(hash) + `"
  expiry: 2030-01-01T00:00:00+02:00
- username: bob
  deny: {reason: 138, message: "account locked"}
certificates:
- subject: "C=US, OU = Devices, CN = smart-fan"
  attributes: {device: fan, building: "17"}
- sha256: "` + strings.ToUpper(colons(sha256Hex(lamp[0].Raw))) + `"
  deny: {reason: 135}
enhanced:
- method: PSK-DEMO
  dataSha256: ` + sha256Hex([]byte("open sesame")) + `
  attributes: {kind: psk}
`
	u, err := ParseUsers("users.yaml", []byte(users))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Summary(); got != "3 users, 2 certificates, 1 enhanced" {
		t.Errorf("summary %q", got)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 500, time.UTC)
	psk := &EnhancedAuthentication{Method: "PSK-DEMO", Data: []byte("open sesame")}
	tests := []decisionCase{
		{"plain password", Request{Type: TypeConnect, Username: strp("alice"), Password: []byte("wonderland")},
			200, `{"expiry":"2026-06-01T13:00:00Z","attributes":{"group":"g1"}}`, "users.yaml:2"},
		{"wrong plain password", Request{Type: TypeConnect, Username: strp("alice"), Password: []byte("wonderlan")}, 403, `{"reason":135}`, ""},
		{"no password", Request{Type: TypeConnect, Username: strp("alice")}, 403, `{"reason":135}`, ""},
		{"bcrypt password", Request{Type: TypeConnect, Username: strp("carol"), Password: []byte("s3cret")},
			200, `{"expiry":"2029-12-31T22:00:00Z","attributes":{}}`, "users.yaml:6"},
		{"wrong bcrypt password", Request{Type: TypeConnect, Username: strp("carol"), Password: []byte("secret")}, 403, `{"reason":135}`, ""},
		{"denied user", Request{Type: TypeConnect, Username: strp("bob"), Password: []byte("anything")},
			403, `{"reason":138,"message":"account locked"}`, "users.yaml:9"},
		{"unknown user", Request{Type: TypeConnect, Username: strp("mallory"), Password: []byte("x")}, 403, `{"reason":135}`, ""},
		{"no credentials", Request{Type: TypeConnect}, 403, `{"reason":135}`, ""},
		{"certificate by subject, chain with root", Request{Type: TypeConnect, Certs: string(pki.EncodeCertificates(fan...))},
			200, `{"attributes":{"building":"17","device":"fan"}}`, "users.yaml:12"},
		{"certificate by fingerprint denied", Request{Type: TypeConnect, Certs: string(pki.EncodeCertificates(lamp...))},
			403, `{"reason":135}`, "users.yaml:14"},
		{"unknown certificate falls to the password", Request{Type: TypeConnect, Certs: string(pki.EncodeCertificates(thermostat...)),
			Username: strp("alice"), Password: []byte("wonderland")}, 200, `{"expiry":"2026-06-01T13:00:00Z","attributes":{"group":"g1"}}`, "users.yaml:2"},
		{"certs that are not PEM", Request{Type: TypeConnect, Certs: "hello"}, 400, `invalid client request body: certs: no PEM certificate`, ""},
		{"enhanced at connect", Request{Type: TypeConnect, EnhancedAuthentication: psk}, 200, `{"attributes":{"kind":"psk"}}`, "users.yaml:17"},
		{"enhanced re-auth", Request{Type: TypeAuth, EnhancedAuthentication: psk}, 200, `{"attributes":{"kind":"psk"}}`, "users.yaml:17"},
		{"enhanced wrong data", Request{Type: TypeAuth, EnhancedAuthentication: &EnhancedAuthentication{Method: "PSK-DEMO", Data: []byte("open")}}, 403, `{"reason":135}`, ""},
		{"enhanced wrong method", Request{Type: TypeAuth, EnhancedAuthentication: &EnhancedAuthentication{Method: "K8S-SAT", Data: []byte("open sesame")}}, 403, `{"reason":135}`, ""},
		{"auth without enhanced", Request{Type: TypeAuth}, 400, "invalid client request body: missing field `enhancedAuthentication`", ""},
		{"unknown type", Request{Type: "disconnect"}, 400, "invalid client request body: unknown variant `disconnect`, expected `connect` or `auth`", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := u.Decide(&tt.req, now)
			if d.Status != tt.status || string(d.Body) != tt.body || d.Entry != tt.entry {
				t.Errorf("got %d %s (entry %q), want %d %s (entry %q)", d.Status, d.Body, d.Entry, tt.status, tt.body, tt.entry)
			}
			if d.JSON != (tt.status != 400) {
				t.Errorf("JSON %v for %d", d.JSON, d.Status)
			}
			if tt.status == 200 {
				var g GrantedResponse
				if err := json.Unmarshal(d.Body, &g); err != nil || g.Attributes == nil {
					t.Errorf("a 200 body without attributes: %s", d.Body)
				}
			}
			if tt.status != http.StatusForbidden && d.Reason != nil {
				t.Errorf("reason %d on a %d", *d.Reason, d.Status)
			}
		})
	}
}

// readExampleChain reads a client chain of testdata/examples (leaf first)
func readExampleChain(t *testing.T, name string) []*x509.Certificate {
	t.Helper()
	certs, err := pki.ReadBundle(filepath.Join("..", "..", "testdata", "examples", "clients", name+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*x509.Certificate
	for _, c := range certs {
		out = append(out, c.Cert)
	}
	return out
}

func colons(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}
