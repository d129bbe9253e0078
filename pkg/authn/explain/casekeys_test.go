package explain

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestCaseFieldsAreCaseTags: the keys a batch line may hold are exactly the
// JSON names of Case's fields, so a field added to Case is accepted in
// batch lines and no key is accepted that json.Unmarshal would ignore.
func TestCaseFieldsAreCaseTags(t *testing.T) {
	var tags []string
	typ := reflect.TypeFor[Case]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			t.Errorf("Case.%s has no JSON name: batch lines could not set it", typ.Field(i).Name)
			continue
		}
		tags = append(tags, name)
	}
	var keys []string
	for k := range caseFields {
		keys = append(keys, k)
	}
	slices.Sort(tags)
	slices.Sort(keys)
	if !slices.Equal(tags, keys) {
		t.Errorf("caseFields %v\nCase's JSON tags %v", keys, tags)
	}
}

// mapUnknownField is the plain way to check a line's keys, for the
// benchmark: decode the line again into a map and look each key up.
func mapUnknownField(line []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return err
	}
	for k := range m {
		if !caseFields[k] {
			return fmt.Errorf("json: unknown field %q", k)
		}
	}
	return nil
}

// BenchmarkCaseKeys compares unknownField with mapUnknownField on a
// typical batch line. The figures in casekeys.go's opening comment come
// from here.
func BenchmarkCaseKeys(b *testing.B) {
	line := []byte(`{"authn": "authn.yaml", "listener": "default", "port": 8883, "cert": "devices/thermostat-0042_cert.pem", "now": "2026-06-01T12:00:00Z"}`)
	for _, bc := range []struct {
		name  string
		check func([]byte) error
	}{{"scan", unknownField}, {"map", mapUnknownField}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.check(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
