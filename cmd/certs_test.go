package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCertsChainCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "certs")
	r := runCmd(t, "", "certs", "chain", "--out-dir", out, "--client", "thermostat", "--server-san", "localhost").mustSucceed(t)
	if r.stdout != "" {
		t.Errorf("certs chain wrote to stdout (the summary belongs on stderr):\n%s", r.stdout)
	}
	for _, want := range []string{"Minted a test chain in " + out + " (EC P-256 keys, private keys mode 0600)", "CN = thermostat",
		"kubectl aio-authn ca import " + filepath.Join(out, "client_ca.pem"),
		"mosquitto_pub -q 1 -t hello -d -V mqttv5 -m world -i thermostat -h localhost --cert thermostat_cert.pem --key thermostat_key.pem --cafile chain.pem",
		"authorizationAttributes:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stderr)
		}
	}
	// stderr is not a terminal here: no progress bar.
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("progress bar drawn on a non-terminal:\n%q", r.stderr)
	}
	for _, f := range []string{"root_ca_cert.pem", "root_ca_key.pem", "intermediate_ca_cert.pem", "intermediate_ca_key.pem",
		"thermostat_cert.pem", "thermostat_key.pem", "server_cert.pem", "server_key.pem", "chain.pem", "client_ca.pem"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	runCmd(t, "", "certs", "chain", "--out-dir", out, "--client", "thermostat").
		mustFail(t, 2, filepath.Join(out, "root_ca_cert.pem")+" already exists (and 7 more files): pass --force")
	runCmd(t, "", "certs", "chain", "--out-dir", out, "--client", "thermostat", "-f").mustSucceed(t)

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--out-dir", dir + "/a"}, "no clients to mint: add --client NAME"},
		{[]string{"--client", "a"}, "flag --out-dir is required"},
		{[]string{"--out-dir", dir + "/a", "--client", "a", "--kty", "RSA", "--size", "1024"}, "--size 1024 is too small"},
		{[]string{"--out-dir", dir + "/a", "--client", "a", "--crv", "P-256", "--kty", "RSA"}, "flag --crv requires --kty EC or OKP"},
		{[]string{"--out-dir", dir + "/a", "--client", "a", "--root-subject", "CN"}, "--root-subject: attribute \"CN\""},
		{[]string{"--out-dir", dir + "/a", "--client", "a", "--not-after", "yesterday"}, "invalid --not-after \"yesterday\""},
		{[]string{"--out-dir", dir + "/a", "--client-prefix", "dev-"}, "flag --client-prefix requires flag --count"},
		{[]string{"--out-dir", dir + "/a", "--client", "a", "--count", "x"}, "invalid argument \"x\""},
	} {
		runCmd(t, "", append([]string{"certs", "chain"}, tt.args...)...).mustFail(t, 2, tt.want)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Errorf("a refused command created its --out-dir")
	}
}

func TestCertsChainOKPWarns(t *testing.T) {
	r := runCmd(t, "", "certs", "chain", "--out-dir", t.TempDir()+"/c", "--client", "a", "--kty", "OKP").mustSucceed(t)
	if !strings.Contains(r.stderr, "warning: Ed25519 keys: the broker documents EC and RSA only") {
		t.Errorf("no warning about Ed25519:\n%s", r.stderr)
	}
}

func TestProgressLine(t *testing.T) {
	for _, tt := range []struct {
		done, total int
		want        string
	}{
		{0, 10, "x [>         ] 0/10"},
		{5, 10, "x [=====>    ] 5/10"},
		{10, 10, "x [==========] 10/10"},
	} {
		if got := progressLine("x", tt.done, tt.total, 10); got != tt.want {
			t.Errorf("progressLine(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
	var b bytes.Buffer
	bar := newProgressBar(&b, "x")
	for i := 1; i <= 1000; i++ {
		bar.update(i, 1000)
	}
	bar.finish()
	if n := strings.Count(b.String(), "\r"); n > 102 {
		t.Errorf("the bar was redrawn %d times for 1000 steps, want at most once per percent", n)
	}
	if !strings.HasSuffix(b.String(), "\r\033[K") {
		t.Errorf("the bar's line is not cleared at the end: %q", b.String()[max(0, b.Len()-20):])
	}
	var nilBar *progressBar
	nilBar.update(1, 2)
	nilBar.finish()
}

func TestCertsCreateCommand(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	r := runCmd(t, "", "certs", "create", "CN = Contoso Root, O = Contoso", p("root.pem"), p("root.key"), "--profile", "root-ca", "--kty", "RSA").mustSucceed(t)
	if !strings.Contains(r.stderr, "Wrote root CA "+p("root.pem")+" and its key "+p("root.key")+" (RSA 2048, mode 0600)") || r.stdout != "" {
		t.Errorf("stdout %q stderr:\n%s", r.stdout, r.stderr)
	}
	runCmd(t, "", "certs", "create", "CN = Contoso Devices", p("inter.pem"), p("inter.key"), "--profile", "intermediate-ca",
		"--ca", p("root.pem"), "--ca-key", p("root.key")).mustSucceed(t)
	r = runCmd(t, "", "certs", "create", "thermostat", p("t.pem"), p("t.key"), "--ca", p("inter.pem"), "--ca-key", p("inter.key"),
		"--san", "thermostat", "--san", "10.1.2.3", "--not-after", "48h").mustSucceed(t)
	if !strings.Contains(r.stderr, "SANs     DNS:thermostat, IP:10.1.2.3") || !strings.Contains(r.stderr, "(RSA 2048, mode 0600)") {
		t.Errorf("summary:\n%s", r.stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"x", p("a.pem"), p("a.key"), "--profile", "ca"}, `unknown --profile "ca"`},
		{[]string{"x", p("a.pem"), p("a.key")}, "--profile leaf requires flag --ca"},
		{[]string{"x", p("a.pem"), p("a.key"), "--ca", p("inter.pem")}, "flag --ca requires flag --ca-key"},
		{[]string{"x", p("a.pem"), p("a.key"), "--ca", p("t.pem"), "--ca-key", p("t.key")}, "is not a CA certificate"},
		{[]string{"x", p("t.pem"), p("a.key"), "--ca", p("inter.pem"), "--ca-key", p("inter.key")}, p("t.pem") + " already exists"},
		{[]string{"x", p("a.pem")}, "accepts 3 arg(s), received 2"},
	} {
		runCmd(t, "", append([]string{"certs", "create"}, tt.args...)...).mustFail(t, 2, tt.want)
	}
}
