package explain

import (
	"context"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// TestMicrosoftSDKBundle explains clients against the manifests Microsoft's
// SDK applies (method serviceAccountToken, mode automatic), with the
// ServiceAccount and Pod the token is bound to as an operator exports them:
// a valid token is granted on the listener port that references the SAT
// authn, and the X.509 port is reached through its lower-case spellings too.
func TestMicrosoftSDKBundle(t *testing.T) {
	b, err := bundle.Read([]string{"../../../testdata/realworld/sdk-broker-listeners.yaml",
		"../../../testdata/examples/serviceaccount.yaml", "../../../testdata/examples/pod.yaml"}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sat.LoadKeySet("../../../testdata/examples/sat/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Bundle: b, Options: authn.Options{Keys: keys},
		Clock: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	token := "../../../testdata/examples/tokens/mqtt-client.jwt"
	for _, tc := range []struct {
		name string
		c    Case
		want authn.Result
	}{
		{"the SAT authn by name", Case{Authn: "default", SATFile: token}, authn.Granted},
		{"the default listener port", Case{Listener: "default", Port: ptr(int32(18883)), SATFile: token}, authn.Granted},
		{"the external port of the SAT authn", Case{Listener: "default-external", Port: ptr(int32(38884)), SATFile: token}, authn.Granted},
		{"a token on the X.509 port", Case{Listener: "default-external", Port: ptr(int32(38883)), SATFile: token}, authn.Denied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _, err := r.Explain(context.Background(), tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision != tc.want {
				t.Fatalf("decision %s, want %s: %+v", d.Decision, tc.want, d.Steps)
			}
			if tc.want == authn.Granted && (d.Method == nil || *d.Method != "ServiceAccountToken") {
				t.Errorf("granted by %v, want the entry written method: serviceAccountToken", d.Method)
			}
		})
	}
}

// TestADRDeviceWhatIf: the device state comes from a case (a batch line) or
// the command line, and anything but enabled, disabled or missing is an
// input error.
func TestADRDeviceWhatIf(t *testing.T) {
	b, err := bundle.Read([]string{"../../../testdata/explain/adr.yaml", "../../../testdata/examples/client-ca.yaml"}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Bundle: b, Options: authn.Options{ADRDevice: authn.ADREnabled},
		Clock: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	cert := "../../../testdata/examples/clients/smart-fan.pem"
	for _, tc := range []struct {
		device string
		want   authn.Result
	}{{"", authn.Granted}, {"disabled", authn.Denied}, {"missing", authn.Denied}} {
		d, _, err := r.Explain(context.Background(), Case{Cert: cert, ADRDevice: tc.device})
		if err != nil {
			t.Fatal(err)
		}
		if d.Decision != tc.want {
			t.Errorf("adrDevice %q: %s, want %s", tc.device, d.Decision, tc.want)
		}
	}
	if _, _, err := r.Explain(context.Background(), Case{Cert: cert, ADRDevice: "on"}); err == nil {
		t.Error("adrDevice \"on\" was accepted")
	}
}
