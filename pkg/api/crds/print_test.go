package crds

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// decodeCRDs reads what Write printed the way kubectl apply reads a stream.
func decodeCRDs(t *testing.T, out []byte) []string {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	var kinds []string
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("decoding output: %v", err)
		}
		if obj == nil {
			continue
		}
		items := []any{obj}
		if obj["kind"] == "List" {
			items = obj["items"].([]any)
		}
		for _, it := range items {
			b, _ := json.Marshal(it)
			var crd apiextensionsv1.CustomResourceDefinition
			if err := json.Unmarshal(b, &crd); err != nil {
				t.Fatal(err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				t.Fatalf("printed a %s", crd.Kind)
			}
			kinds = append(kinds, crd.Spec.Names.Kind)
		}
	}
	return kinds
}

func TestSelectAndWrite(t *testing.T) {
	tests := []struct {
		kind, format string
		want         string
	}{
		{"", "yaml", "BrokerAuthentication,BrokerListener"},
		{"", "json", "BrokerAuthentication,BrokerListener"},
		{"BrokerAuthentication", "yaml", "BrokerAuthentication"},
		{"brokerlisteners", "json", "BrokerListener"},
		{"bauthn", "", "BrokerAuthentication"},
		{"blistener", "yaml", "BrokerListener"},
		{"brokerauthentications.mqttbroker.iotoperations.azure.com", "yaml", "BrokerAuthentication"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.format, func(t *testing.T) {
			docs, err := Select(tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := Write(&out, docs, tt.format); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(decodeCRDs(t, out.Bytes()), ","); got != tt.want {
				t.Errorf("printed %s, want %s", got, tt.want)
			}
			if tt.format != "json" && !bytes.HasPrefix(out.Bytes(), []byte("---\n")) {
				t.Errorf("YAML stream does not start with a document marker")
			}
		})
	}
	var uk *UnknownKindError
	if _, err := Select("BrokerAuthorization"); !errors.As(err, &uk) ||
		err.Error() != `unknown kind "BrokerAuthorization": use BrokerAuthentication or BrokerListener` {
		t.Errorf("unknown kind: %v", err)
	}
	if err := Write(&bytes.Buffer{}, YAML(), "xml"); err == nil || !strings.Contains(err.Error(), "-o yaml or -o json") {
		t.Errorf("unknown format: %v", err)
	}
}
