package e2e

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
)

// The hostile-input suite runs the built binary the way CI runs it on a
// stranger's pull request: on inputs built to hurt (alias bombs, /dev/zero,
// FIFOs, link loops, oversized lines, escape sequences), each run under an
// address-space limit and a timeout, and checks that it ends with the right
// exit code, a one-line error naming the input, no stack trace, and little
// memory (the peak resident set the kernel reports for the process).

const (
	// hostileAS is the address space a run may reserve (ulimit -v, KiB):
	// enough for the Go runtime's reservations, far too little for any
	// input to be read whole or expanded.
	hostileAS = 2 << 20
	// hostileRSS is the most a run may have resident, in MiB.
	hostileRSS = 300
	// hostileTimeout bounds a run: a hang is a failure, not a wait.
	hostileTimeout = 60 * time.Second
)

// hostileResult is what a bounded run did.
type hostileResult struct {
	result
	maxRSSMiB int64
}

// runHostile runs the plugin with args in dir (the repository when empty),
// bounded, with extra environment variables.
func runHostile(t *testing.T, dir string, env []string, stdin io.Reader, args ...string) hostileResult {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("resource limits and /dev/zero as on Linux")
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	// sh replaces itself with the plugin (exec), so the limits and the
	// resource usage are the plugin's own.
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, hostileAS),
		filepath.Join(binDir, "kubectl-aio_authn")}, args...)...)
	cmd.Dir = dir
	if dir == "" {
		cmd.Dir = repoRoot
	}
	cmd.Env = append(testEnv(t), env...)
	cmd.Stdin = stdin
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after %s (a hang):\n%s", strings.Join(args, " "), hostileTimeout, stderr.String())
	}
	code, err := exitCode(err)
	if err != nil {
		t.Fatalf("running %s: %v", strings.Join(args, " "), err)
	}
	r := hostileResult{result: result{stdout: stdout.String(), stderr: stderr.String(), code: code}}
	if rss, ok := testenv.PeakRSS(cmd.ProcessState); ok {
		r.maxRSSMiB = rss >> 20
	}
	return r
}

// check asserts a bounded run's exit code, that nothing of the Go runtime
// leaked out (a panic, a fatal error, a goroutine dump), that it stayed
// within hostileRSS, and that stderr says each of want.
func (r hostileResult) check(t *testing.T, what string, code int, want ...string) {
	t.Helper()
	all := r.stdout + r.stderr
	for _, crash := range []string{"goroutine ", "panic:", "fatal error", "runtime.", "SIGSEGV"} {
		if strings.Contains(all, crash) {
			t.Fatalf("%s: the Go runtime speaks (%q):\n%s", what, crash, firstLines(all, 20))
		}
	}
	if r.code != code {
		t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.code, code, firstLines(r.stdout, 10), firstLines(r.stderr, 10))
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) && !strings.Contains(r.stdout, w) {
			t.Errorf("%s: output lacks %q\nstdout: %s\nstderr: %s", what, w, firstLines(r.stdout, 10), firstLines(r.stderr, 10))
		}
	}
	if r.maxRSSMiB > hostileRSS {
		t.Errorf("%s: peak resident memory %d MiB, want at most %d", what, r.maxRSSMiB, hostileRSS)
	}
}

// inputError asserts an input error: exit 2 and exactly one line on stderr,
// "error: ..." naming the input.
func (r hostileResult) inputError(t *testing.T, what string, want ...string) {
	t.Helper()
	r.check(t, what, 2, want...)
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	var errs []string
	for _, l := range lines {
		if strings.HasPrefix(l, "error: ") {
			errs = append(errs, l)
		}
	}
	if len(errs) != 1 {
		t.Errorf("%s: want one error line on stderr, got:\n%s", what, r.stderr)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

func makeFile(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := testenv.MakeFIFO(path); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	return path
}

const authnHeader = "apiVersion: mqttbroker.iotoperations.azure.com/v1\nkind: BrokerAuthentication\nmetadata:\n  name: bomb\n  namespace: azure-iot-operations\n"

// aliasBomb is a 300 KB document whose one 100 KB string is repeated
// 59,000 times through aliases: 5.9 GB once expanded, with few values.
func aliasBomb(apiVersion string) string {
	refs := strings.TrimSuffix(strings.Repeat("*a, ", 59000), ", ")
	doc := strings.Replace(authnHeader, "/v1\n", "/"+apiVersion+"\n", 1)
	return doc + "  annotations:\n    a: &a \"" + strings.Repeat("x", 100_000) + "\"\n    b: [" + refs + "]\n" +
		"spec:\n  authenticationMethods:\n  - method: ServiceAccountToken\n    serviceAccountTokenSettings: {audiences: [aio-internal]}\n"
}

// billionLaughs expands to 10^9 values through nested aliases.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(authnHeader + "  annotations:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 8; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "    l%d: &l%d [%s]\n", i, i, strings.Repeat(p+", ", 9)+p)
	}
	b.WriteString("spec: {authenticationMethods: [{method: X509}]}\n")
	return b.String()
}

func TestHostileDevZero(t *testing.T) {
	bundle := []string{"-f", "testdata/examples", "--now", "2026-06-01T00:00:00Z", "--custom-result", "unreachable"}
	for _, tc := range []struct {
		args []string
		env  []string
		want string
	}{
		{args: []string{"validate", "/dev/zero"}, want: "/dev/zero: the document at line 1 is larger than 16 MiB, the cap for a YAML document: raise it with --max-document-size"},
		{args: []string{"explain", "-f", "/dev/zero", "--username", "u"}, want: "/dev/zero: the document at line 1 is larger than 16 MiB"},
		{args: []string{"convert", "/dev/zero"}, want: "/dev/zero: the document at line 1 is larger than 16 MiB"},
		{args: append([]string{"explain", "--cert", "/dev/zero"}, bundle...), want: "/dev/zero: larger than 4 MiB, the cap for a PEM file"},
		{args: append([]string{"explain", "--sat-file", "/dev/zero"}, bundle...), want: "/dev/zero: larger than 1 MiB, the cap for a token file"},
		{args: append([]string{"explain", "--username", "u", "--password-file", "/dev/zero"}, bundle...), want: "/dev/zero: larger than 1 MiB, the cap for a password file"},
		{args: append([]string{"explain", "--sat-file", "testdata/examples/tokens/mqtt-client.jwt", "--sat-issuer-key", "/dev/zero"}, bundle...),
			want: "--sat-issuer-key /dev/zero: larger than 4 MiB, the cap for a public key or JWKS file"},
		{args: []string{"generate", "authn", "--method", "x509", "--x509-attributes", "/dev/zero"}, want: "/dev/zero: larger than 4 MiB, the cap for a attributes file"},
		{args: []string{"ca", "inspect", "/dev/zero"}, want: "/dev/zero: larger than 4 MiB, the cap for a PEM file"},
		{args: []string{"ca", "import", "/dev/zero", "--dry-run=client", "-o", "yaml"}, want: "/dev/zero: larger than 4 MiB, the cap for a PEM file"},
		{args: []string{"sat", "decode", "/dev/zero"}, want: "/dev/zero: larger than 1 MiB, the cap for a token file"},
		{args: []string{"sat", "mint", "--signing-key", "/dev/zero", "--service-account", "sa", "--audience", "a"}, want: "/dev/zero: larger than 1 MiB, the cap for a private key file"},
		{args: []string{"audit"}, env: []string{"KUBECONFIG=/dev/zero"}, want: "kubeconfig: /dev/zero: not a regular file (a character device): client-go reads the kubeconfig by its name"},
		{args: []string{"explain", "-f", "testdata/examples", "--batch", "/dev/zero"}, want: "/dev/zero: larger than 1 GiB, the cap for a batch file"},
	} {
		what := strings.Join(tc.args, " ")
		runHostile(t, "", tc.env, nil, tc.args...).inputError(t, what, tc.want)
	}
}

func TestHostileYAMLExpansion(t *testing.T) {
	dir := t.TempDir()
	bomb := makeFile(t, filepath.Join(dir, "bomb.yaml"), aliasBomb("v1"))
	old := makeFile(t, filepath.Join(dir, "bomb-v1beta1.yaml"), aliasBomb("v1beta1"))
	laughs := makeFile(t, filepath.Join(dir, "laughs.yaml"), billionLaughs())
	attrs := makeFile(t, filepath.Join(dir, "attributes.yaml"), "a: &a \""+strings.Repeat("x", 100_000)+"\"\nroot: {subject: \"CN = x\", attributes: {k: *a}}\nmore: ["+strings.TrimSuffix(strings.Repeat("*a, ", 59000), ", ")+"]\n")

	// validate reports such a document as a finding (the API server
	// refuses it too) and goes on.
	runHostile(t, "", nil, nil, "validate", bomb).check(t, "validate alias bomb", 1,
		"bomb.yaml:1:1: error: the document's aliases expand to more than 16 MiB")
	runHostile(t, "", nil, nil, "validate", laughs).check(t, "validate billion laughs", 1,
		"the document's aliases expand to more than 1000000 values")
	runHostile(t, "", nil, nil, "explain", "-f", bomb, "--username", "u").inputError(t, "explain alias bomb",
		"bomb.yaml:1: BrokerAuthentication bomb: the document's aliases expand to more than 16 MiB")
	runHostile(t, "", nil, nil, "convert", old).inputError(t, "convert alias bomb",
		"bomb-v1beta1.yaml:1: the document's aliases expand to more than 16 MiB")
	runHostile(t, "", nil, nil, "generate", "authn", "--method", "x509", "--x509-attributes", attrs).inputError(t, "generate with an alias bomb",
		"attributes.yaml:1: the document's aliases expand to more than 4 MiB, the cap for a attributes file")
	// Raising the cap is the user's call; the message says how.
	long := makeFile(t, filepath.Join(dir, "long.yaml"), authnHeader+"  annotations: {a: \""+strings.Repeat("x", 100_000)+"\"}\nspec: {authenticationMethods: [{method: X509}]}\n")
	runHostile(t, "", nil, nil, "validate", "--max-document-size", "64Ki", long).inputError(t, "validate under a small cap",
		"long.yaml: the document at line 1 is larger than 64 KiB, the cap for a YAML document: raise it with --max-document-size")
	runHostile(t, "", nil, nil, "validate", long).check(t, "validate under the default cap", 1, "no x509Settings block")
}

func TestHostileFilesAndDirectories(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(repoRoot, "testdata/validate/good/bundle.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "method: X509", "method: X5O9", 1)
	real := filepath.Join(dir, "real")
	makeFile(t, filepath.Join(real, "bad.yaml"), bad)
	mkfifo(t, filepath.Join(real, "fifo.yaml"))
	if err := os.Symlink(real, filepath.Join(real, "loop")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}

	// A symbolic link to a directory is validated like the directory: a
	// walk that skipped it would be a false pass in CI.
	for _, p := range []string{real, link, link + "/"} {
		r := runHostile(t, "", nil, nil, "validate", p)
		r.check(t, "validate "+p, 1, "bad.yaml:", "note: ", "fifo.yaml: skipped: not a regular file (a FIFO)", "1 file,")
	}
	r := runHostile(t, "", nil, nil, "explain", "-f", link, "--username", "u", "--password", "p", "--custom-result", "unreachable")
	r.check(t, "explain -f link", 1, "BrokerAuthentication", "fifo.yaml: skipped")

	// Links that loop, named directly.
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	os.Symlink(b, a)
	os.Symlink(a, b)
	runHostile(t, "", nil, nil, "validate", a).inputError(t, "validate a link loop", "a.yaml: a loop of symbolic links")

	// A file over the cap, and the flag that raises it.
	big := makeFile(t, filepath.Join(dir, "big.yaml"), strings.Repeat(string(good)+"---\n", 2000))
	runHostile(t, "", nil, nil, "validate", "--max-manifest-size", "1Mi", big).inputError(t, "validate a file over the cap",
		"big.yaml: larger than 1 MiB, the cap for a manifest file: raise it with --max-manifest-size")
	runHostile(t, "", nil, nil, "validate", "--max-manifest-size", "64Mi", big).check(t, "validate with the cap raised", 1)

	// The same from a pipe: standard input is capped too.
	f, err := os.Open(big)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runHostile(t, "", nil, f, "validate", "--max-manifest-size", "1Mi", "-").inputError(t, "validate - over the cap",
		"<stdin>: larger than 1 MiB, the cap for a manifest file")
}

func TestHostileBatch(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t, filepath.Join(dir, "cert.pem"))
	granted := `{"listener": "default", "port": 1883}`
	lines := []string{granted, `{"username": "` + strings.Repeat("u", 5<<20) + `"}`, granted, `{"cert": "` + fifo + `"}`, granted}
	cases := makeFile(t, filepath.Join(dir, "cases.jsonl"), strings.Join(lines, "\n")+"\n")
	r := runHostile(t, "", nil, nil, "explain", "-f", "testdata/examples", "--batch", cases)
	r.check(t, "a batch with a long line and a FIFO", 2,
		"cases.jsonl:2: the line is longer than 4 MiB, the cap for a batch line", "cases.jsonl:4: "+fifo+": not a regular file (a FIFO)")
	out := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(out) != len(lines) {
		t.Fatalf("%d decisions for %d lines:\n%s", len(out), len(lines), firstLines(r.stdout, 10))
	}
	for _, i := range []int{0, 2, 4} {
		if !strings.HasPrefix(out[i], `{"decision":"granted"`) {
			t.Errorf("line %d: %s", i+1, firstLines(out[i], 1))
		}
	}
}

func TestHostileLongToken(t *testing.T) {
	dir := t.TempDir()
	part := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	token := part(`{"alg":"RS256"}`) + "." + part(`{"iss":"x","pad":"`+strings.Repeat("p", 70_000)+`"}`) + ".c2ln"
	tok := makeFile(t, filepath.Join(dir, "big.jwt"), token)
	runHostile(t, "", nil, nil, "explain", "-f", "testdata/examples", "--sat-file", tok, "--custom-result", "unreachable").inputError(t,
		"explain a 93 KB token", "the authentication data is 93", "MQTT v5 carries at most 65535 bytes in it")
	runHostile(t, "", nil, nil, "sat", "decode", tok).check(t, "sat decode a 93 KB token", 0,
		"warning: the token is 93", "MQTT v5 carries at most 65535 bytes of authentication data")
}

// escape is an escape sequence that would turn a terminal's text red.
const escape = "\x1b[31m"

func assertEscaped(t *testing.T, what string, r hostileResult) {
	t.Helper()
	if strings.ContainsRune(r.stdout+r.stderr, 0x1b) {
		t.Errorf("%s: an escape character reached the terminal:\nstdout: %q\nstderr: %q", what, firstLines(r.stdout, 20), firstLines(r.stderr, 20))
	}
	if !strings.Contains(r.stdout+r.stderr, `\x1b[31m`) {
		t.Errorf("%s: the escaped sequence is not shown:\nstdout: %q\nstderr: %q", what, firstLines(r.stdout, 20), firstLines(r.stderr, 20))
	}
}

func TestHostileControlCharacters(t *testing.T) {
	dir := t.TempDir()

	// A custom auth server's answer.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"attributes": {"group": "`+strings.ReplaceAll(escape, "\x1b", `\u001b`)+`admins"}}`)
	}))
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	bundle := makeFile(t, filepath.Join(dir, "custom.yaml"), authnHeader+"spec:\n  authenticationMethods:\n  - method: Custom\n    customSettings:\n      endpoint: "+srv.URL+
		"\n      caCertConfigMap: auth-ca\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: auth-ca, namespace: azure-iot-operations}\ndata:\n  ca.crt: |\n    "+
		strings.ReplaceAll(strings.TrimSpace(string(ca)), "\n", "\n    ")+"\n")
	assertEscaped(t, "explain with a custom server's answer",
		runHostile(t, "", nil, nil, "explain", "-f", bundle, "--username", "u", "--password", "p"))

	// Token claims.
	part := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tok := part(`{"alg":"RS256"}`) + "." + part(`{"iss":"\u001b[31mevil","sub":"x"}`) + ".c2ln"
	assertEscaped(t, "sat decode", runHostile(t, "", nil, nil, "sat", "decode", tok))

	// A certificate's subject.
	evil := testpki.SelfSigned(t, testpki.Spec{Subject: "CN = " + escape + "root"})
	cert := makeFile(t, filepath.Join(dir, "evil.pem"), evil.PEM())
	assertEscaped(t, "ca inspect", runHostile(t, "", nil, nil, "ca", "inspect", cert))

	// A file name, in findings and in errors.
	named := makeFile(t, filepath.Join(dir, "names", escape+"authn.yaml"), "kind: [unclosed\n")
	assertEscaped(t, "validate a file named with an escape", runHostile(t, "", nil, nil, "validate", filepath.Dir(named)))
	assertEscaped(t, "explain a file named with an escape", runHostile(t, "", nil, nil, "explain", "-f", named))
}
