package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// probeBroker is a real mosquitto with the two listeners of docs/probe.md:
// username/password on a plain port, client certificates of a chain minted
// by `certs chain` on a TLS port. The files are made by running the page's
// own set-up script.
type probeBroker struct {
	dir        string
	plain, tls int
	mosquitto  *testenv.Mosquitto
}

func startProbeBroker(t *testing.T) *probeBroker {
	t.Helper()
	testenv.MosquittoBinary(t) // skips under -short without mosquitto
	page := probePage(t)
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(repoRoot, "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	setup := markedBlock(t, page, "set-up of TestProbeDocs")
	r := run(t, dir, "bash", "-euo", "pipefail", "-c", setup)
	if r.code != 0 {
		t.Fatalf("the set-up of docs/probe.md failed (exit %d):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	conf := markedBlock(t, page, "mosquitto.conf of TestProbeDocs")
	b := &probeBroker{dir: dir}
	b.mosquitto = testenv.StartMosquittoWith(t, testenv.MosquittoOptions{Ports: 2, Dir: dir, Config: func(ports []int) string {
		return strings.NewReplacer("listener 1883 ", fmt.Sprintf("listener %d ", ports[0]), "listener 8883 ", fmt.Sprintf("listener %d ", ports[1])).Replace(conf)
	}})
	b.plain, b.tls = b.mosquitto.Ports[0], b.mosquitto.Ports[1]
	return b
}

// ports maps the page's ports to the broker's (to) or back (from).
func (b *probeBroker) ports(s string, to bool) string {
	pairs := [][2]string{{"127.0.0.1:1883", fmt.Sprintf("127.0.0.1:%d", b.plain)}, {"127.0.0.1:8883", fmt.Sprintf("127.0.0.1:%d", b.tls)}}
	var args []string
	for _, p := range pairs {
		if to {
			args = append(args, p[0], p[1])
		} else {
			args = append(args, p[1], p[0])
		}
	}
	return strings.NewReplacer(args...).Replace(s)
}

func (b *probeBroker) probe(t *testing.T, args ...string) result {
	t.Helper()
	for i := range args {
		args[i] = b.ports(args[i], true)
	}
	return run(t, b.dir, "kubectl-aio_authn", append([]string{"probe"}, args...)...)
}

func probePage(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "probe.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// markedBlock returns the fenced block of docs/probe.md that follows
// <!-- name --> (the first, if several do).
func markedBlock(t *testing.T, page, name string) string {
	t.Helper()
	blocks, _ := markedBlocks(t, "docs/probe.md", page, name)
	return blocks[0]
}

// TestProbeExitCodes runs the built binary against real mosquitto: each
// outcome's exit code, the prediction beside the live result, and usage
// errors as one line.
func TestProbeExitCodes(t *testing.T) {
	b := startProbeBroker(t)
	cert := []string{"--server", "mqtts://127.0.0.1:8883", "--cafile", "certs/chain.pem", "--cert", "thermostat_chain.pem", "--key", "certs/thermostat_key.pem"}
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"password granted", []string{"--server", "mqtt://127.0.0.1:1883", "--username", "alice", "--password-file", "alice.pass", "--pubsub", "probe/e2e"}, 0, "✓ connected — CONNACK 0x00 Success"},
		{"password refused", []string{"--server", "mqtt://127.0.0.1:1883", "--username", "alice", "--password", "looking-glass"}, 1, "✗ refused — CONNACK 0x87 Not authorized"},
		{"certificate granted", cert, 0, "client certificate sent"},
		{"no certificate", cert[:4], 1, "✗ TLS rejected"},
		{"token unknown to mosquitto", []string{"--server", "mqtt://127.0.0.1:1883", "--sat-file", "testdata/examples/tokens/mqtt-client.jwt"}, 1, "CONNACK 0x8C Bad authentication method"},
		{"closed port", []string{"--server", "mqtt://127.0.0.1:1"}, 3, "? unreachable"},
		{"untrusted server", []string{"--server", "mqtts://127.0.0.1:8883", "--cafile", "testdata/examples/pki/root_ca.pem"}, 3, "not trusted"},
		{"prediction agrees", append(cert, "-f", "bundle", "--strict"), 0, "✓ agree, same CONNACK code"},
		// The leaf alone: mosquitto trusts the intermediate, the bundle
		// only the root, so the broker would refuse what mosquitto lets in.
		{"prediction disagrees", append(cert[:5:5], "certs/thermostat_cert.pem", "--key", "certs/thermostat_key.pem", "-f", "bundle"), 0, "✗ disagree"},
		{"prediction disagrees, strict", append(cert[:5:5], "certs/thermostat_cert.pem", "--key", "certs/thermostat_key.pem", "-f", "bundle", "--strict"), 1, "✗ disagree"},
		{"rate", []string{"--server", "mqtt://127.0.0.1:1883", "--username", "alice", "--password-file", "alice.pass", "--count", "300", "--concurrency", "4"}, 0, "300 connects to mqtt://127.0.0.1:1883, 4 at a time: 300 ok, 0 refused, 0 errors"},
		{"rate refused", []string{"--server", "mqtt://127.0.0.1:1883", "--username", "alice", "--password", "no", "--count", "20", "--concurrency", "4"}, 1, "0 ok, 20 refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.probe(t, tt.args...)
			expect(t, r, tt.code, tt.name)
			if got := b.ports(r.stdout, false); !strings.Contains(got, tt.out) {
				t.Errorf("stdout does not contain %q:\n%s", tt.out, got)
			}
			if r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
		})
	}

	t.Run("listener port", func(t *testing.T) {
		// --listener predicts for the port the probe connects to.
		gen := run(t, b.dir, "kubectl-aio_authn", "generate", "listener", "--name", "devices", "--port", fmt.Sprint(b.tls))
		expect(t, gen, 0, "generate listener")
		if err := os.WriteFile(filepath.Join(b.dir, "listener.yaml"), []byte(gen.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		r := b.probe(t, append(cert, "-f", "bundle", "-f", "listener.yaml", "--listener", "devices")...)
		expect(t, r, 0, "listener port")
		if want := fmt.Sprintf("BrokerListener devices port %d (TLS)", b.tls); !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not name %q:\n%s", want, r.stdout)
		}
	})

	t.Run("json", func(t *testing.T) {
		r := b.probe(t, append(cert, "-f", "bundle", "-o", "json")...)
		expect(t, r, 0, "json")
		var got struct {
			Outcome   string
			Transport struct {
				TLS            bool
				Version        string
				ClientCertSent bool
				ServerChain    []string
			}
			Connack    struct{ Code int }
			Prediction struct{ Decision string }
			Comparison struct{ Agree, CodeMatch bool }
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%v:\n%s", err, r.stdout)
		}
		if got.Outcome != "connected" || !got.Transport.TLS || !got.Transport.ClientCertSent || len(got.Transport.ServerChain) != 2 ||
			got.Prediction.Decision != "granted" || !got.Comparison.Agree || !got.Comparison.CodeMatch {
			t.Errorf("json: %+v\n%s", got, r.stdout)
		}
	})

	for _, tt := range []struct {
		name string
		args []string
		err  string
	}{
		{"no server", nil, "no broker: give --server"},
		{"bad scheme", []string{"--server", "http://127.0.0.1:1883"}, `unknown scheme "http"`},
		{"cert without key", []string{"--server", "mqtts://127.0.0.1:8883", "--cert", "thermostat_chain.pem"}, "--cert needs --key"},
		{"wrong key", []string{"--server", "mqtts://127.0.0.1:8883", "--cert", "thermostat_chain.pem", "--key", "certs/intermediate_ca_key.pem"}, "is not the key of the first certificate"},
		{"cert on plain", []string{"--server", "mqtt://127.0.0.1:1883", "--cert", "thermostat_chain.pem", "--key", "certs/thermostat_key.pem"}, "use mqtts://"},
		{"cafile on plain", []string{"--server", "mqtt://127.0.0.1:1883", "--cafile", "certs/chain.pem"}, "--cafile is for TLS"},
		{"missing token", []string{"--server", "mqtt://127.0.0.1:1883", "--sat-file", "nope.jwt"}, "nope.jwt: no such file"},
		{"strict without bundle", []string{"--server", "mqtt://127.0.0.1:1883", "--strict"}, "add -f BUNDLE"},
		{"reauth without method", []string{"--server", "mqtt://127.0.0.1:1883", "--reauth"}, "re-authentication needs an enhanced authentication method"},
		{"wildcard topic", []string{"--server", "mqtt://127.0.0.1:1883", "--pubsub", "probe/#"}, "has a wildcard"},
		{"concurrency alone", []string{"--server", "mqtt://127.0.0.1:1883", "--concurrency", "4"}, "add --count N"},
		{"count with pubsub", []string{"--server", "mqtt://127.0.0.1:1883", "--count", "4", "--pubsub", "x"}, "--count measures connects only"},
		{"bad bundle", []string{"--server", "mqtt://127.0.0.1:1883", "-f", "nope"}, "nope"},
		{"keepalive not in seconds", []string{"--server", "mqtt://127.0.0.1:1883", "--keepalive", "1500ms"}, "whole seconds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			oneLineError(t, b.probe(t, tt.args...), tt.err)
		})
	}
	// A flag's value is checked as the flag is parsed, as every flag's:
	// the error, then where the help is.
	r := b.probe(t, "--server", "mqtt://127.0.0.1:1883", "-o", "xml")
	expect(t, r, 2, "bad output")
	if want := "error: invalid argument \"xml\" for \"-o, --output\" flag: want one of text, json, yaml\nSee 'kubectl aio-authn probe --help'.\n"; r.stderr != want {
		t.Errorf("bad output: stderr %q, want %q", r.stderr, want)
	}
}

// probeVolatile are the parts of probe's output that differ from run to
// run: timings and rates, random client identifiers, the dates of freshly
// minted certificates, and the cipher the two TLS stacks pick on a given
// CPU.
var probeVolatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d+\.\d+ (ms|connects/s)`), "N $1"},
	{regexp.MustCompile(`("(?:dialMs|tlsMs|connackMs|roundTripMs|afterMs|p50|p90|p99|max|connectsPerSec)"): [0-9.]+`), "$1: N"},
	{regexp.MustCompile(`aio-authn-probe-[0-9a-f]{8}`), "aio-authn-probe-XXXXXXXX"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "DATE"},
	{regexp.MustCompile(`TLS_[A-Z0-9_]+`), "CIPHER"},
}

func normalizeProbe(s string) string {
	for _, v := range probeVolatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

// TestProbeDocs reruns the probe examples of docs/probe.md (```text blocks
// after <!-- output of TestProbeDocs -->) against a real mosquitto set up
// as the page says, and checks that the page shows what probe prints, up
// to timings, ports, client identifiers and dates. -update rewrites the
// blocks with this run's output.
func TestProbeDocs(t *testing.T) {
	b := startProbeBroker(t)
	page := probePage(t)
	const marker = "<!-- output of TestProbeDocs -->\n```text\n"
	var out strings.Builder
	rest, blocks := page, 0
	for {
		before, after, ok := strings.Cut(rest, marker)
		out.WriteString(before)
		if !ok {
			break
		}
		blocks++
		block, tail, _ := strings.Cut(after, "```")
		rest = tail
		lines := strings.SplitAfter(block, "\n")
		n := 1
		for n < len(lines) && strings.HasSuffix(strings.TrimRight(lines[n-1], "\n"), `\`) {
			n++
		}
		command := strings.Join(lines[:n], "")
		want := strings.Join(lines[n:], "")
		c := docCommand{cmd: strings.TrimSuffix(strings.TrimPrefix(command, "$ "), "\n")}
		finishCommand(&c)
		got, code := b.shell(t, c.cmd)
		if code != c.exit {
			t.Errorf("docs/probe.md: `%s` exited %d, the page says %d\n%s", c.cmd, code, c.exit, got)
		}
		if normalizeProbe(got) != normalizeProbe(want) {
			t.Errorf("docs/probe.md: `%s` printed something other than the page shows\n--- page:\n%s--- got:\n%s", c.cmd, want, got)
		}
		out.WriteString(marker + command + got + "```")
	}
	if blocks == 0 {
		t.Fatal("docs/probe.md has no <!-- output of TestProbeDocs --> blocks")
	}
	if golden.Update() && out.String() != page {
		if err := os.WriteFile(filepath.Join(repoRoot, "docs", "probe.md"), []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote docs/probe.md")
	}
}

// shell runs a documented command line against the broker and returns its
// output (stdout and stderr, as a reader sees them) with the page's ports.
func (b *probeBroker) shell(t *testing.T, line string) (string, int) {
	t.Helper()
	r := run(t, b.dir, "bash", "-o", "pipefail", "-c", b.ports(line, true)+" 2>&1")
	return b.ports(r.stdout, false), r.code
}
