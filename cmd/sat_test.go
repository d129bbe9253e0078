package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSatCommands(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	r := runCmd(t, "", "sat", "keygen", "--out-dir", keys).mustSucceed(t)
	if r.stdout != "" || !strings.Contains(r.stderr, "Wrote a token signing key pair in "+keys+" (RSA 2048, RS256)") ||
		!strings.Contains(r.stderr, "kubectl aio-authn sat mint --signing-key "+filepath.Join(keys, "sa_key.pem")) {
		t.Errorf("stdout %q, stderr:\n%s", r.stdout, r.stderr)
	}
	runCmd(t, "", "sat", "keygen", "--out-dir", keys).mustFail(t, 2, filepath.Join(keys, "sa_key.pem")+" already exists (and 2 more files)")

	mint := []string{"sat", "mint", "--signing-key", filepath.Join(keys, "sa_key.pem"), "--service-account", "mqtt-client",
		"--audience", "aio-internal", "--now", "2026-05-01T10:00:00Z", "--duration", "2h"}
	r = runCmd(t, "", mint...).mustSucceed(t)
	minted := r.stdout
	token := strings.TrimSuffix(minted, "\n")
	// The token alone, so $(kubectl aio-authn sat mint ...) works.
	if r.stderr != "" || strings.Count(r.stdout, "\n") != 1 || strings.Count(token, ".") != 2 || strings.ContainsAny(token, " \t") {
		t.Fatalf("stdout %q stderr %q: want the token and a newline only", r.stdout, r.stderr)
	}

	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(minted), 0o600); err != nil {
		t.Fatal(err)
	}
	now := "--now=2026-05-01T10:30:00Z"
	for _, args := range [][]string{{token}, {tokenFile}, {"-"}, {}} {
		r = runCmd(t, minted, append([]string{"sat", "decode", now}, args...)...).mustSucceed(t)
		for _, want := range []string{"alg: RS256", "sub: system:serviceaccount:azure-iot-operations:mqtt-client", "aud: aio-internal",
			"exp: 2026-05-01T12:00:00Z (in 90m)", "iat: 2026-05-01T10:00:00Z (30m ago)", "namespace:      azure-iot-operations"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("decode %v lacks %q:\n%s", args, want, r.stdout)
			}
		}
		if !strings.Contains(r.stderr, "note: decoding does not verify the signature") {
			t.Errorf("decode does not say it did not verify:\n%s", r.stderr)
		}
		if sig := token[strings.LastIndex(token, ".")+1:]; strings.Contains(r.stdout+r.stderr, sig) {
			t.Errorf("decode printed the signature")
		}
	}

	r = runCmd(t, "", "sat", "decode", token, "-o", "json", now).mustSucceed(t)
	var doc map[string]map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc) != 2 || doc["header"]["alg"] != "RS256" ||
		doc["claims"]["iat"] != float64(1777629600) {
		t.Errorf("-o json: %v\n%s", err, r.stdout)
	}

	for _, key := range []string{"sa_pub.pem", "jwks.json"} {
		r = runCmd(t, "", "sat", "decode", token, "--verify-key", filepath.Join(keys, key)).mustSucceed(t)
		if !strings.Contains(r.stderr, "signature verified with") || strings.Contains(r.stderr, "does not verify") {
			t.Errorf("--verify-key %s:\n%s", key, r.stderr)
		}
	}
	other := filepath.Join(dir, "other")
	runCmd(t, "", "sat", "keygen", "--out-dir", other, "--kty", "EC").mustSucceed(t)
	r = runCmd(t, "", "sat", "decode", token, "--verify-key", filepath.Join(other, "jwks.json"))
	if r.code != 1 || !strings.Contains(r.stderr, "signature NOT verified:") || !strings.Contains(r.stdout, "alg: RS256") {
		t.Errorf("verification with another key: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"sat", "mint", "--service-account", "a", "--audience", "b"}, "flag --signing-key is required"},
		{[]string{"sat", "mint", "--signing-key", filepath.Join(keys, "sa_key.pem"), "--service-account", "a"}, "flag --audience is required"},
		{[]string{"sat", "mint", "--signing-key", filepath.Join(keys, "sa_key.pem"), "--audience", "b"}, "flag --service-account is required"},
		{append(mint, "--duration", "0s"), "--duration 0s must be positive"},
		{append(mint, "--duration", "-5m"), "--duration -5m0s must be positive"},
		{append(mint, "--not-before", "later"), `--not-before "later"`},
		{[]string{"sat", "mint", "--signing-key", filepath.Join(keys, "sa_pub.pem"), "--service-account", "a", "--audience", "b"}, "not a private key"},
		{[]string{"sat", "decode", "not-a-token"}, "malformed token"},
		{[]string{"sat", "decode", token, "-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"sat", "decode", token, "--verify-key", filepath.Join(dir, "missing.pem")}, "--verify-key"},
		{[]string{"sat", "keygen", "--out-dir", dir + "/x", "--kty", "OKP"}, `unknown --kty "OKP"`},
	} {
		runCmd(t, "", tt.args...).mustFail(t, 2, tt.want)
	}
}
