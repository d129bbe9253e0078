package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// customAuthServer is `serve custom-auth` running as users run it: the
// built binary in a directory of its own.
type customAuthServer struct {
	*serverProcess
	// ready is the ready file's content.
	ready struct{ Listen, Endpoint, CA string }
}

// startCustomAuth starts the server in dir on a free loopback port with
// --ready-file ready.json and args, and waits for the ready file.
func startCustomAuth(t *testing.T, dir string, args ...string) *customAuthServer {
	t.Helper()
	s := &customAuthServer{}
	s.serverProcess = startServer(t, dir, "ready.json", &s.ready,
		append([]string{"serve", "custom-auth", "--listen", "127.0.0.1:0", "--ready-file", "ready.json"}, args...)...)
	return s
}

// reload sends SIGHUP and waits for the server to say how the reload went.
func (s *customAuthServer) reload(t *testing.T) string {
	t.Helper()
	before := strings.Count(s.stderr.String(), "reload")
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(serverWait)
	for time.Now().Before(deadline) {
		if out := s.stderr.String(); strings.Count(out, "reload") > before {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			return lines[len(lines)-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no word of the reload within %s:\n%s", serverWait, s.stderr)
	return ""
}

// curlAnswer is what curl printed: the HTTP status (0 when there was no
// answer), the body, and curl's exit code.
type curlAnswer struct {
	status int
	body   string
	exit   int
	stderr string
}

// curl calls the server's endpoint with path (the part after the host) and
// curl's args, reading the body from stdin when body is not empty.
func (s *customAuthServer) curl(t *testing.T, path, body string, args ...string) curlAnswer {
	t.Helper()
	all := append([]string{"-sS", "--max-time", "30", "-o", "-", "-w", "\n%{http_code}"}, args...)
	if body != "" {
		all = append(all, "--data-binary", "@-")
	}
	all = append(all, s.ready.Endpoint+path)
	cmd := exec.Command(requireCurl(t), all...)
	cmd.Dir = s.dir
	cmd.Stdin = strings.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	exit, err := exitCode(cmd.Run())
	if err != nil {
		t.Fatal(err)
	}
	a := curlAnswer{stderr: stderr.String(), exit: exit}
	out := stdout.String()
	i := strings.LastIndexByte(out, '\n')
	a.body = out[:max(i, 0)]
	a.status, _ = strconv.Atoi(out[i+1:])
	return a
}

func requireCurl(t *testing.T) string {
	t.Helper()
	return testenv.RequireProgram(t, "curl")
}

// connectJSON is a connect request body as the broker writes it.
func connectJSON(t *testing.T, fields map[string]any) string {
	t.Helper()
	fields["type"] = "connect"
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServeCustomAuthHTTPContract drives the server with curl: every status
// of the API as the broker's sample server gives it, each kind of users file
// entry, the events log, a reload with a good file and with a bad one, and
// a clean stop.
func TestServeCustomAuthHTTPContract(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	lamp := readFile(t, filepath.Join(repoRoot, "testdata", "examples", "clients", "old-lamp.pem"))
	fan := string(readFile(t, filepath.Join(repoRoot, "testdata", "examples", "clients", "smart-fan.pem")))
	leaf, _ := pem.Decode(lamp)
	users := fmt.Sprintf(`users:
- username: alice
  password: wonderland
  attributes: {group: g1}
  expiry: 2030-01-01T00:00:00Z
- username: carol
  passwordHash: %q
- username: bob
  deny: {reason: 138, message: account locked}
certificates:
- subject: "CN = smart-fan, OU = Devices, C = US"
  attributes: {device: fan}
- sha256: %s
  attributes: {device: lamp}
enhanced:
- method: PSK-DEMO
  dataSha256: %s
  attributes: {kind: psk}
`, hash, sha256Hex(leaf.Bytes), sha256Hex([]byte("open sesame")))
	writeFile(t, filepath.Join(dir, "users.yaml"), users)
	s := startCustomAuth(t, dir, "--users", "users.yaml", "--events", "events.jsonl")
	if s.ready.CA != "ready-ca.pem" || s.ready.Endpoint != "https://"+s.ready.Listen {
		t.Fatalf("ready file %+v", s.ready)
	}
	trust := []string{"--cacert", "ready-ca.pem"}
	post := append([]string{"-H", "Content-Type: application/json"}, trust...)
	const api = "/?api-version=0.5.0"
	tests := []struct {
		name, path, body string
		args             []string
		status           int
		answer           string
	}{
		{"plain password", api, connectJSON(t, map[string]any{"username": "alice", "password": []byte("wonderland")}), post,
			200, `{"expiry":"2030-01-01T00:00:00Z","attributes":{"group":"g1"}}`},
		{"wrong password", api, connectJSON(t, map[string]any{"username": "alice", "password": []byte("Wonderland")}), post, 403, `{"reason":135}`},
		{"bcrypt password", api, connectJSON(t, map[string]any{"username": "carol", "password": []byte("s3cret")}), post, 200, `{"attributes":{}}`},
		{"wrong bcrypt password", api, connectJSON(t, map[string]any{"username": "carol", "password": []byte("secret")}), post, 403, `{"reason":135}`},
		{"denied user", api, connectJSON(t, map[string]any{"username": "bob", "password": []byte("x")}), post, 403, `{"reason":138,"message":"account locked"}`},
		{"unknown user", api, connectJSON(t, map[string]any{"username": "mallory", "password": []byte("x")}), post, 403, `{"reason":135}`},
		{"certificate by subject", api, connectJSON(t, map[string]any{"certs": fan}), post, 200, `{"attributes":{"device":"fan"}}`},
		{"certificate by fingerprint", api, connectJSON(t, map[string]any{"certs": string(lamp)}), post, 200, `{"attributes":{"device":"lamp"}}`},
		{"certificates that are not PEM", api, connectJSON(t, map[string]any{"certs": "hello"}), post, 400, `invalid client request body: certs: no PEM certificate`},
		{"enhanced data at connect", api, connectJSON(t, map[string]any{"enhancedAuthentication": map[string]any{"method": "PSK-DEMO", "data": []byte("open sesame")}}), post,
			200, `{"attributes":{"kind":"psk"}}`},
		{"enhanced data at re-auth", api, `{"type":"auth","enhancedAuthentication":{"method":"PSK-DEMO","data":"b3BlbiBzZXNhbWU="}}`, post, 200, `{"attributes":{"kind":"psk"}}`},
		{"wrong enhanced data", api, `{"type":"auth","enhancedAuthentication":{"method":"PSK-DEMO","data":"b3Blbg=="}}`, post, 403, `{"reason":135}`},
		{"missing api-version", "/", connectJSON(t, map[string]any{"username": "alice"}), post, 400, "missing api-version"},
		{"other api-version", "/?api-version=1.0.0", connectJSON(t, map[string]any{"username": "alice"}), post, 422, `{"supportedVersions":["0.5.0"]}`},
		{"GET", api, "", trust, 405, "GET not allowed"},
		{"DELETE", api, "", append([]string{"-X", "DELETE"}, trust...), 405, "DELETE not allowed"},
		{"form content type", api, connectJSON(t, map[string]any{"username": "alice"}), trust, 400, "invalid content-type: application/x-www-form-urlencoded"},
		{"other path", "/authenticate" + api[1:], connectJSON(t, map[string]any{"username": "alice"}), post, 404, "/authenticate not found"},
		{"not JSON", api, "username=alice", post, 400, "invalid client request body: invalid character 'u' looking for beginning of value"},
		{"unknown type", api, `{"type":"publish"}`, post, 400, "invalid client request body: unknown variant `publish`, expected `connect` or `auth`"},
		{"too large", api, `{"type":"connect","username":"` + strings.Repeat("a", 1<<20+1024) + `"}`, post, 413, "request body larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.curl(t, tt.path, tt.body, tt.args...)
			if a.status != tt.status || a.body != tt.answer {
				t.Errorf("curl: %d %q (exit %d, %s), want %d %q", a.status, a.body, a.exit, a.stderr, tt.status, tt.answer)
			}
		})
	}
	// Without the minted CA, curl does not trust the server.
	if a := s.curl(t, api, connectJSON(t, map[string]any{"username": "alice"}), "-H", "Content-Type: application/json"); a.exit != 60 || a.status != 0 {
		t.Errorf("curl without --cacert: exit %d, status %d; want exit 60 (certificate not trusted)", a.exit, a.status)
	}

	// A good file is taken; a bad one is refused and the old one kept.
	writeFile(t, filepath.Join(dir, "users.yaml"), "users:\n- username: alice\n  deny: {reason: 135, message: rotated}\n")
	if line := s.reload(t); line != "reloaded users.yaml (1 user, 0 certificates, 0 enhanced)" {
		t.Errorf("after a good reload the server says %q", line)
	}
	alice := connectJSON(t, map[string]any{"username": "alice", "password": []byte("wonderland")})
	if a := s.curl(t, api, alice, post...); a.status != 403 || a.body != `{"reason":135,"message":"rotated"}` {
		t.Errorf("alice after the reload: %d %s", a.status, a.body)
	}
	writeFile(t, filepath.Join(dir, "users.yaml"), "users:\n- username: alice\n  password: wonderland\n  deny: {reason: 135}\n")
	if line := s.reload(t); line != `reload failed, still answering from the previous file: users.yaml:3: users[0]: user "alice" has password and deny: a denied user is refused whatever the password; remove one of them` {
		t.Errorf("after a bad reload the server says %q", line)
	}
	if a := s.curl(t, api, alice, post...); a.status != 403 || a.body != `{"reason":135,"message":"rotated"}` {
		t.Errorf("alice after the bad reload: %d %s; want the previous file's answer", a.status, a.body)
	}

	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d after SIGTERM:\n%s", code, s.stderr)
	}
	for _, f := range []string{"ready.json", "ready-ca.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s is left behind after the server stopped (%v)", f, err)
		}
	}

	// One line per request, without the secrets that crossed the wire.
	events := string(readFile(t, filepath.Join(dir, "events.jsonl")))
	lines := strings.Split(strings.TrimSpace(events), "\n")
	if len(lines) != len(tests)+2 {
		t.Errorf("%d event lines for %d requests:\n%s", len(lines), len(tests)+2, events)
	}
	for _, secret := range []string{"wonderland", "d29uZGVybGFuZA", "s3cret", "open sesame", "b3BlbiBzZXNhbWU", "BEGIN CERTIFICATE"} {
		if strings.Contains(events, secret) {
			t.Errorf("the events log holds %q:\n%s", secret, events)
		}
	}
	var first, bob map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[4]), &bob)
	if first["event"] != "request" || first["type"] != "connect" || first["username"] != "alice" || first["decision"] != "granted" ||
		first["status"] != 200.0 || first["entry"] != "users.yaml:2" || first["time"] == nil || !strings.HasPrefix(first["remote"].(string), "127.0.0.1:") {
		t.Errorf("first event %s", lines[0])
	}
	if bob["decision"] != "denied" || bob["reason"] != 138.0 || bob["message"] != "account locked" {
		t.Errorf("bob's event %s", lines[4])
	}
}

// TestServeCustomAuthTLS checks the server's own certificate (--cert,
// --key) and the broker's client certificate it requires (--client-ca),
// with curl: no client certificate ends the handshake, the broker's chain
// from `certs chain` gets an answer.
func TestServeCustomAuthTLS(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, dir, "kubectl-aio_authn", "certs", "chain", "--out-dir", "pki", "--client", "broker", "--server-san", "127.0.0.1"); r.code != 0 {
		t.Fatalf("certs chain: exit %d\n%s", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "users.yaml"), "users:\n- username: alice\n  password: wonderland\n")
	s := startCustomAuth(t, dir, "--users", "users.yaml", "--server-cert", "pki/server_cert.pem", "--server-key", "pki/server_key.pem",
		"--client-ca", "pki/client_ca.pem")
	if s.ready.CA != "" {
		t.Errorf("ready file names a CA (%q) though the server has its own certificate", s.ready.CA)
	}
	chain := string(readFile(t, filepath.Join(dir, "pki", "broker_cert.pem"))) + string(readFile(t, filepath.Join(dir, "pki", "intermediate_ca_cert.pem")))
	writeFile(t, filepath.Join(dir, "broker_chain.pem"), chain)
	body := connectJSON(t, map[string]any{"username": "alice", "password": []byte("wonderland")})
	post := []string{"-H", "Content-Type: application/json", "--cacert", "pki/client_ca.pem"}
	if a := s.curl(t, "/?api-version=0.5.0", body, post...); a.status != 0 || a.exit == 0 {
		t.Errorf("without a client certificate: %d %q (curl exit %d); want no answer", a.status, a.body, a.exit)
	}
	foreign := t.TempDir()
	if r := run(t, foreign, "kubectl-aio_authn", "certs", "chain", "--out-dir", "pki", "--client", "broker"); r.code != 0 {
		t.Fatalf("certs chain: exit %d\n%s", r.code, r.stderr)
	}
	if a := s.curl(t, "/?api-version=0.5.0", body, append(post, "--cert", filepath.Join(foreign, "pki", "broker_cert.pem"), "--key", filepath.Join(foreign, "pki", "broker_key.pem"))...); a.status != 0 || a.exit == 0 {
		t.Errorf("with a client certificate of another CA: %d %q (curl exit %d); want no answer", a.status, a.body, a.exit)
	}
	if a := s.curl(t, "/?api-version=0.5.0", body, append(post, "--cert", "broker_chain.pem", "--key", "pki/broker_key.pem")...); a.status != 200 || a.body != `{"attributes":{}}` {
		t.Errorf("with the broker's certificate: %d %q (curl exit %d, %s)", a.status, a.body, a.exit, a.stderr)
	}
	if !strings.Contains(s.stderr.String(), "client didn't provide a certificate") {
		t.Errorf("the refused handshake is not reported:\n%s", s.stderr)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d after SIGTERM:\n%s", code, s.stderr)
	}
}

// TestServeCustomAuthWithExplain runs explain against the server, as the
// broker would call it: a bundle whose Custom entry points at the server,
// trusting the minted CA through a ConfigMap made by `ca import` and
// presenting the broker's client certificate from a Secret. The server's
// answers become explain's decisions, and once the server is stopped the
// chain falls through to the next method.
func TestServeCustomAuthWithExplain(t *testing.T) {
	dir := t.TempDir()
	plugin := func(args ...string) result { return run(t, dir, "kubectl-aio_authn", args...) }
	if r := plugin("certs", "chain", "--out-dir", "pki", "--client", "broker"); r.code != 0 {
		t.Fatalf("certs chain: exit %d\n%s", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "users.yaml"), `users:
- username: alice
  password: wonderland
  attributes: {group: g1}
  expiry: 2030-01-01T00:00:00Z
- username: bob
  deny: {reason: 138, message: account locked}
`)
	s := startCustomAuth(t, dir, "--users", "users.yaml", "--client-ca", "pki/client_ca.pem")
	if err := os.Mkdir(filepath.Join(dir, "bundle"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := plugin("ca", "import", s.ready.CA, "--name", "auth-server-ca", "--dry-run=client", "-o", "yaml")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("ca import of the minted CA: exit %d\n%s", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "bundle", "auth-server-ca.yaml"), r.stdout)
	r = plugin("generate", "authn", "--method", "custom", "--custom-endpoint", s.ready.Endpoint, "--custom-ca-configmap", "auth-server-ca",
		"--custom-client-secret", "broker-cert", "--method", "sat")
	if r.code != 0 {
		t.Fatalf("generate authn: exit %d\n%s", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "bundle", "authn.yaml"), r.stdout)
	b64 := func(paths ...string) string {
		var all []byte
		for _, p := range paths {
			all = append(all, readFile(t, filepath.Join(dir, p))...)
		}
		return base64.StdEncoding.EncodeToString(all)
	}
	writeFile(t, filepath.Join(dir, "bundle", "broker-cert.yaml"), fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: broker-cert, namespace: azure-iot-operations}
type: kubernetes.io/tls
data:
  tls.crt: %s
  tls.key: %s
`, b64("pki/broker_cert.pem", "pki/intermediate_ca_cert.pem"), b64("pki/broker_key.pem")))

	explain := func(user string) result {
		return plugin("explain", "-f", "bundle", "--username", user, "--password", "wonderland", "--now", "2026-06-01T00:00:00Z", "-o", "json")
	}
	type decision struct {
		Decision   string
		Connack    struct{ Code int }
		Attributes map[string]string
	}
	decode := func(r result) decision {
		t.Helper()
		var d decision
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("explain -o json: %v\n%s\n%s", err, r.stdout, r.stderr)
		}
		return d
	}
	r = explain("alice")
	if d := decode(r); r.code != 0 || d.Decision != "granted" || d.Attributes["group"] != "g1" {
		t.Errorf("alice: exit %d, %+v\n%s", r.code, d, r.stdout)
	}
	r = explain("bob")
	if d := decode(r); r.code != 1 || d.Decision != "denied" || d.Connack.Code != 138 || !strings.Contains(r.stdout, `account locked`) {
		t.Errorf("bob: exit %d, %+v\n%s", r.code, d, r.stdout)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d after SIGTERM:\n%s", code, s.stderr)
	}
	r = explain("alice")
	if d := decode(r); r.code != 1 || d.Connack.Code != 0x87 || !strings.Contains(r.stdout, "connection refused") || !strings.Contains(r.stdout, "falls through") {
		t.Errorf("alice with the server stopped: exit %d, %+v\n%s", r.code, d, r.stdout)
	}
}

// markedBlocks returns the fenced blocks of page (the docs page file) that
// follow the comment <!-- marker -->, each with the line of its opening
// fence.
func markedBlocks(t *testing.T, file, page, marker string) (blocks []string, lines []int) {
	t.Helper()
	comment := "<!-- " + marker + " -->\n"
	rest, offset := page, 0
	for {
		i := strings.Index(rest, comment)
		if i < 0 {
			break
		}
		start := offset + i + len(comment)
		fence, body, ok := strings.Cut(page[start:], "\n")
		if !ok || !strings.HasPrefix(fence, "```") {
			t.Fatalf("%s: no fenced block after %q", file, comment)
		}
		end := strings.Index(body, "\n```")
		if end < 0 {
			t.Fatalf("%s: unterminated block after %q", file, comment)
		}
		blocks = append(blocks, body[:end+1])
		lines = append(lines, 1+strings.Count(page[:start], "\n"))
		rest, offset = page[start:], start
	}
	if len(blocks) == 0 {
		t.Fatalf("%s has no block marked %q", file, comment)
	}
	return blocks, lines
}

// sessionCommands reads the `$ ` commands of a text block as the console
// blocks' commands are read, with the page's line numbers.
func sessionCommands(t *testing.T, block string, fenceLine int) []docCommand {
	t.Helper()
	cmds, err := parseDocCommands("docs/serve.md", []byte(strings.Repeat("\n", fenceLine-1)+"```console\n"+block+"```\n"))
	if err != nil {
		t.Fatal(err)
	}
	return cmds
}

// varying are the parts of a session that differ from run to run: the
// events' times and the callers' ports.
var varying = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"time":"[^"]*"`), `"time":"…"`},
	{regexp.MustCompile(`"remote":"127\.0\.0\.1:\d+"`), `"remote":"127.0.0.1:…"`},
}

func normalizeSession(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		for _, v := range varying {
			l = v.re.ReplaceAllString(l, v.with)
		}
		out[i] = l
	}
	return out
}

// TestServeCustomAuthDocs runs the serve custom-auth session of
// docs/serve.md against the real server: the users file of the page, the
// server started with the page's command (on a free port instead of 8443),
// every command of the client blocks with its output and exit code, the
// server's own output once stopped, and the commands after the stop. Only
// the port, the events' times and the callers' ports may differ.
func TestServeCustomAuthDocs(t *testing.T) {
	requireKubectl(t)
	requireCurl(t)
	page := string(readFile(t, filepath.Join(repoRoot, "docs", "serve.md")))
	users, _ := markedBlocks(t, "docs/serve.md", page, "users.yaml of TestServeCustomAuthDocs")
	serverBlocks, serverLines := markedBlocks(t, "docs/serve.md", page, "server of TestServeCustomAuthDocs")
	clients, clientLines := markedBlocks(t, "docs/serve.md", page, "client of TestServeCustomAuthDocs")
	afters, afterLines := markedBlocks(t, "docs/serve.md", page, "after the stop of TestServeCustomAuthDocs")

	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(repoRoot, "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "users.yaml"), users[0])
	server := sessionCommands(t, serverBlocks[0], serverLines[0])
	const prefix = "kubectl aio-authn serve custom-auth "
	if len(server) != 1 || !strings.HasPrefix(server[0].cmd, prefix) || !strings.Contains(server[0].cmd, "--ready-file ready.json") {
		t.Fatalf("the server block should hold one `%s... --ready-file ready.json` command: %+v", prefix, server)
	}
	s := startCustomAuth(t, dir, strings.Fields(strings.TrimPrefix(server[0].cmd, prefix))...)
	const shown = "127.0.0.1:8443"
	env := testEnv(t)
	session := func(blocks []string, lines []int) {
		t.Helper()
		for i, block := range blocks {
			for _, c := range sessionCommands(t, block, lines[i]) {
				run := c
				run.cmd = strings.ReplaceAll(c.cmd, shown, s.ready.Listen)
				got, code, out := execDocCommand(t, dir, env, run)
				for j := range got {
					got[j] = strings.ReplaceAll(got[j], s.ready.Listen, shown)
				}
				want := trimBlankTail(c.output)
				if code != c.exit {
					t.Errorf("%s:%d: `%s` exited %d, the page says %d\noutput:\n%s", c.file, c.line, c.cmd, code, c.exit, out)
				} else if !matchLines(normalizeSession(want), normalizeSession(got)) {
					t.Errorf("%s:%d: `%s` printed something other than the page shows\n--- page:\n%s\n--- got:\n%s",
						c.file, c.line, c.cmd, strings.Join(want, "\n"), strings.Join(got, "\n"))
				}
			}
		}
	}
	session(clients, clientLines)
	if code := s.stop(t); code != 0 {
		t.Errorf("the server exited %d after SIGTERM:\n%s", code, s.stderr)
	}
	var want []string
	for _, l := range trimBlankTail(server[0].output) {
		if l != "^C" { // the terminal's echo of Ctrl-C
			want = append(want, l)
		}
	}
	got := strings.Split(strings.TrimRight(strings.ReplaceAll(s.stderr.String(), s.ready.Listen, shown), "\n"), "\n")
	if !matchLines(want, got) {
		t.Errorf("docs/serve.md:%d: the server printed something other than the page shows\n--- page:\n%s\n--- got:\n%s",
			server[0].line, strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	session(afters, afterLines)
}

// TestServeCustomAuthStartErrors checks that what stops the server from
// starting is one line naming the cause and the fix, with exit 2.
func TestServeCustomAuthStartErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "users.yaml"), "users:\n- username: alice\n  password: wonderland\n")
	writeFile(t, filepath.Join(dir, "not-pem.txt"), "hello\n")
	s := startCustomAuth(t, dir, "--users", "users.yaml")
	tests := []struct {
		args []string
		want string
	}{
		{nil, "error: --users is required: the file of the users, certificates and enhanced authentication to answer (see --help)"},
		{[]string{"--users", "nope.yaml"}, "error: nope.yaml: no such file or directory"},
		{[]string{"--users", "users.yaml", "--server-cert", "users.yaml"}, "error: --server-cert and --server-key go together: give both, or neither to mint a certificate for 127.0.0.1 and localhost"},
		{[]string{"--users", "users.yaml", "--client-ca", "not-pem.txt"}, "error: not-pem.txt: no PEM certificate found: pass a PEM file with -----BEGIN CERTIFICATE----- blocks"},
		{[]string{"--users", "users.yaml", "--listen", s.ready.Listen}, "error: cannot listen on " + s.ready.Listen + ": bind: address already in use: choose another --listen"},
	}
	for _, tt := range tests {
		r := run(t, dir, "kubectl-aio_authn", append([]string{"serve", "custom-auth"}, tt.args...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("serve custom-auth %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.want)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
}
