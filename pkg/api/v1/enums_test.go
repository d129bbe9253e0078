package v1

import (
	"encoding/json"
	"testing"
)

// TestEnumsDecodeCanonically proves that decoding (files, bundles, and
// objects read from a cluster, which pkg/kube decodes as JSON too) gives
// canonical spellings, and keeps unknown values for validation to report.
func TestEnumsDecodeCanonically(t *testing.T) {
	authn := map[string]any{
		"apiVersion": "mqttbroker.iotoperations.azure.com/v1", "kind": "BrokerAuthentication",
		"metadata": map[string]any{"name": "default"},
		"spec": map[string]any{"authenticationMethods": []any{
			map[string]any{"method": "serviceAccountToken", "serviceAccountTokenSettings": map[string]any{"audiences": []any{"aio-internal"}}},
			map[string]any{"method": "x509", "x509Settings": map[string]any{"additionalValidation": "azureDeviceRegistry"}},
			map[string]any{"method": "ServiceAcountToken"},
		}},
	}
	listener := map[string]any{
		"apiVersion": "mqttbroker.iotoperations.azure.com/v1", "kind": "BrokerListener",
		"metadata": map[string]any{"name": "default"},
		"spec": map[string]any{"serviceType": "clusterIp", "ports": []any{map[string]any{
			"port": int64(18883), "protocol": "websockets",
			"tls": map[string]any{"mode": "automatic", "certManagerCertificateSpec": map[string]any{
				"issuerRef":  map[string]any{"kind": "clusterissuer", "name": "x"},
				"privateKey": map[string]any{"algorithm": "ec256", "rotationPolicy": "always"},
			}},
		}}},
	}
	check := func(t *testing.T, a *BrokerAuthentication, l *BrokerListener) {
		t.Helper()
		m := a.Spec.AuthenticationMethods
		if m[0].Method != MethodServiceAccountToken || m[1].Method != MethodX509 || m[1].X509Settings.AdditionalValidation != AdditionalValidationAzureDeviceRegistry {
			t.Errorf("authn not canonical: %+v", m)
		}
		if m[2].Method != "ServiceAcountToken" {
			t.Errorf("a typo must stay as written for validation, got %q", m[2].Method)
		}
		p := l.Spec.Ports[0]
		cs := p.TLS.CertManagerCertificateSpec
		if l.Spec.ServiceType != ServiceTypeClusterIP || p.Protocol != ProtocolWebSockets || p.TLS.Mode != TLSModeAutomatic ||
			cs.IssuerRef.Kind != IssuerKindClusterIssuer || cs.PrivateKey.Algorithm != PrivateKeyEc256 || cs.PrivateKey.RotationPolicy != RotationAlways {
			t.Errorf("listener not canonical: %+v %+v", l.Spec, cs)
		}
	}
	t.Run("json", func(t *testing.T) {
		var a BrokerAuthentication
		var l BrokerListener
		for obj, into := range map[*map[string]any]any{&authn: &a, &listener: &l} {
			b, _ := json.Marshal(*obj)
			if err := json.Unmarshal(b, into); err != nil {
				t.Fatal(err)
			}
		}
		check(t, &a, &l)
	})
	t.Run("not a string", func(t *testing.T) {
		var m Method
		if err := json.Unmarshal([]byte(`3`), &m); err == nil {
			t.Error("a number decoded as a method")
		}
	})
}
