// Command crd2jsonschema writes the openAPIV3Schema of every version of the
// embedded CRDs (pkg/api/crds) as JSON Schema files in the layout
// kubeconform reads with
//
//	-schema-location 'DIR/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'
//
// (brokerauthentication_v1.json, ...). Like openapi2jsonschema's strict
// mode, objects with properties get "additionalProperties": false, so that
// kubeconform -strict rejects unknown fields as the API server does.
//
//	go run ./hack/crd2jsonschema -o DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api/crds"
)

type crd struct {
	Spec struct {
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// strict closes every object schema that lists its properties.
func strict(s map[string]any) {
	if props, ok := s["properties"].(map[string]any); ok {
		if _, set := s["additionalProperties"]; !set {
			s["additionalProperties"] = false
		}
		for _, p := range props {
			if m, ok := p.(map[string]any); ok {
				strict(m)
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if m, ok := s[k].(map[string]any); ok {
			strict(m)
		}
	}
}

func main() {
	out := flag.String("o", "", "output directory")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: crd2jsonschema -o DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	for _, data := range crds.YAML() {
		var c crd
		if err := yaml.Unmarshal(data, &c); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		for _, v := range c.Spec.Versions {
			s := v.Schema.OpenAPIV3Schema
			strict(s)
			s["$schema"] = "http://json-schema.org/schema#"
			b, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
				os.Exit(1)
			}
			name := filepath.Join(*out, strings.ToLower(c.Spec.Names.Kind)+"_"+v.Name+".json")
			if err := os.WriteFile(name, append(b, '\n'), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
				os.Exit(1)
			}
		}
	}
}
