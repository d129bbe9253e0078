package pki

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// TestMosquittoAcceptsMintedClient runs a real mosquitto broker that
// authenticates clients by certificate (require_certificate,
// use_identity_as_username), trusting the minted chain.pem and serving the
// minted server certificate, and connects with mosquitto_pub exactly as the
// operator page runs it, plus the local broker's address and port. A client
// of another chain is refused by the broker.
func TestMosquittoAcceptsMintedClient(t *testing.T) {
	for _, key := range []KeySpec{DefaultKeySpec, {Type: KeyTypeRSA, Size: 2048}} {
		t.Run(key.String(), func(t *testing.T) {
			mosquittoPub := testenv.RequireProgram(t, "mosquitto_pub")
			dir := t.TempDir()
			if _, err := MintChain(ChainSpec{OutDir: dir, Clients: []string{"thermostat"}, ServerSANs: []string{"localhost", "127.0.0.1"}, Key: key}); err != nil {
				t.Fatal(err)
			}
			broker := startMosquitto(t, dir)

			// The operator page's command, run where the files are.
			args := []string{"-q", "1", "-t", "hello", "-d", "-V", "mqttv5", "-m", "world", "-i", "thermostat",
				"-h", "127.0.0.1", "-p", strconv.Itoa(broker.Port),
				"--cert", "thermostat_cert.pem", "--key", "thermostat_key.pem", "--cafile", "chain.pem"}
			pub := exec.Command(mosquittoPub, args...)
			pub.Dir = dir
			out, err := pub.CombinedOutput()
			if err != nil {
				t.Fatalf("mosquitto_pub %s: %v\n%s\nbroker log:\n%s", strings.Join(args, " "), err, out, broker.Log())
			}
			mustContain(t, "mosquitto_pub output", string(out), "received CONNACK (0)", "received PUBACK")
			// use_identity_as_username: the broker knows the client by
			// its certificate's CN.
			broker.WaitLog(t, "u'thermostat'")

			// A client of another chain. It trusts the real root too, so
			// that it accepts the broker and it is the broker that says no.
			other := t.TempDir()
			if _, err := MintChain(ChainSpec{OutDir: other, Clients: []string{"thermostat"}, Key: key}); err != nil {
				t.Fatal(err)
			}
			trust := append(mustRead(t, filepath.Join(other, ChainFile)), mustRead(t, filepath.Join(dir, ClientCAFile))...)
			if err := os.WriteFile(filepath.Join(other, "trust.pem"), trust, 0o644); err != nil {
				t.Fatal(err)
			}
			args[len(args)-1] = "trust.pem"
			rogue := exec.Command(mosquittoPub, args...)
			rogue.Dir = other
			out, err = rogue.CombinedOutput()
			if err == nil || strings.Contains(string(out), "CONNACK (0)") {
				t.Fatalf("a client of another chain was accepted:\n%s", out)
			}
			broker.WaitLog(t, "certificate verify failed")
		})
	}
}

// startMosquitto runs mosquitto on a free loopback port with certificate
// authentication over the chain minted in dir, until the test ends.
func startMosquitto(t *testing.T, dir string) *testenv.Mosquitto {
	return testenv.StartCertMosquitto(t, testenv.TLSFiles{CAFile: filepath.Join(dir, ChainFile),
		CertFile: filepath.Join(dir, ServerCertFile), KeyFile: filepath.Join(dir, ServerKeyFile)}, "")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
