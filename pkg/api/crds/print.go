package crds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"
)

// UnknownKindError reports a --kind that names neither embedded CRD.
type UnknownKindError struct{ Kind string }

func (e *UnknownKindError) Error() string {
	return fmt.Sprintf("unknown kind %q: use BrokerAuthentication or BrokerListener", e.Kind)
}

// matches reports whether want names crd the way kubectl accepts names for a
// resource: kind, singular, plural, short name or the CRD's own name, in any
// case.
func matches(crd map[string]any, want string) bool {
	want = strings.ToLower(want)
	spec, _ := crd["spec"].(map[string]any)
	names, _ := spec["names"].(map[string]any)
	for _, k := range []string{"kind", "singular", "plural"} {
		if s, _ := names[k].(string); strings.ToLower(s) == want {
			return true
		}
	}
	short, _ := names["shortNames"].([]any)
	for _, s := range short {
		if str, _ := s.(string); strings.ToLower(str) == want {
			return true
		}
	}
	if name, _ := crd["metadata"].(map[string]any)["name"].(string); strings.ToLower(name) == want {
		return true
	}
	return false
}

// Select returns the CRD files for kind (kind, singular, plural or short
// name, any case; every CRD when kind is empty).
func Select(kind string) ([][]byte, error) {
	all := YAML()
	if kind == "" {
		return all, nil
	}
	for _, data := range all {
		var crd map[string]any
		if err := yaml.Unmarshal(data, &crd); err != nil {
			return nil, fmt.Errorf("embedded CRD: %w", err)
		}
		if matches(crd, kind) {
			return [][]byte{data}, nil
		}
	}
	return nil, &UnknownKindError{Kind: kind}
}

// Write prints CRDs so that `kubectl apply -f -` takes them: YAML as a
// multi-document stream exactly as generated, JSON as one object, or a
// v1 List when there are several.
func Write(w io.Writer, docs [][]byte, format string) error {
	switch format {
	case "", "yaml":
		for _, d := range docs {
			if !bytes.HasPrefix(d, []byte("---")) {
				if _, err := io.WriteString(w, "---\n"); err != nil {
					return err
				}
			}
			if _, err := w.Write(d); err != nil {
				return err
			}
		}
		return nil
	case "json":
		var objs []any
		for _, d := range docs {
			var obj any
			if err := yaml.Unmarshal(d, &obj); err != nil {
				return fmt.Errorf("embedded CRD: %w", err)
			}
			objs = append(objs, obj)
		}
		var out any = map[string]any{"apiVersion": "v1", "kind": "List", "items": objs}
		if len(objs) == 1 {
			out = objs[0]
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return fmt.Errorf("unknown output format %q: use -o yaml or -o json", format)
}
