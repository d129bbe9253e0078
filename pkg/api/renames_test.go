package api

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api/mid2024"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// place is where a field of a BrokerAuthentication is, in the vocabulary
// of Rename.
type place struct {
	where  Where
	method v1.Method
	path   string
	name   string
}

// specTypes are the Go types of each generation's spec.
var specTypes = map[Generation]reflect.Type{
	Gen2023:    reflect.TypeFor[authenticationSpec2023](),
	GenMid2024: reflect.TypeFor[mid2024.BrokerAuthenticationSpec](),
	GenV1:      reflect.TypeFor[v1.BrokerAuthenticationSpec](),
}

// places lists every field of generation g's spec, read from its Go types:
// the fields of spec, the keys of an entry, and the fields inside each
// settings block (not inside maps, nor inside a field v1 has no name for).
func places(t *testing.T, g Generation) []place {
	var out []place
	var block func(typ reflect.Type, m v1.Method, path string)
	block = func(typ reflect.Type, m v1.Method, path string) {
		for name, ft := range jsonFields(typ) {
			out = append(out, place{InBlock, m, path, name})
			if r := renameAt(InBlock, m, path, name, g); r != nil && r.Names[GenV1] == "" {
				continue
			}
			if ft.Kind() == reflect.Struct {
				block(ft, m, strings.TrimPrefix(path+"."+name, "."))
			}
		}
	}
	for name, ft := range jsonFields(specTypes[g]) {
		if name != "authenticationMethods" {
			out = append(out, place{InSpec, "", "", name})
			continue
		}
		for key, bt := range jsonFields(ft.Elem()) {
			if key == "method" {
				continue
			}
			m, ok := g.BlockMethod(key)
			out = append(out, place{InEntry, m, "", key})
			if ok {
				block(bt, m, "")
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no fields found in %v's types", g)
	}
	return out
}

// jsonFields maps the JSON names of a struct's fields to their types,
// pointers dereferenced.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	out := map[string]reflect.Type{}
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		out[name] = ft
	}
	return out
}

func renameAt(w Where, m v1.Method, path, name string, g Generation) *Rename {
	for _, r := range Renames {
		if r.Where == w && r.Method == m && r.Path == path && r.Names[g] == name {
			return r
		}
	}
	return nil
}

// TestRenamesMatchTheTypes: every name of the table is a field of its
// generation's Go types, where the table says.
func TestRenamesMatchTheTypes(t *testing.T) {
	for _, g := range Generations {
		have := places(t, g)
		for _, r := range Renames {
			name := r.Names[g]
			if name == "" || r.Where == MethodValue {
				continue
			}
			if !slices.Contains(have, place{r.Where, r.Method, r.Path, name}) {
				t.Errorf("%v has no field %q (%v, method %q, path %q) in its Go types", g, name, r.Where, r.Method, r.Path)
			}
		}
	}
}

// TestRenamesAreComplete: every field of an older generation's Go types that
// v1 does not have at the same place is in the table, so conversion and
// validate's hints know it.
func TestRenamesAreComplete(t *testing.T) {
	v1Places := places(t, GenV1)
	for _, g := range []Generation{Gen2023, GenMid2024} {
		for _, p := range places(t, g) {
			if slices.Contains(v1Places, p) {
				continue
			}
			if renameAt(p.where, p.method, p.path, p.name, g) == nil {
				t.Errorf("%v's field %q (%v, method %q, path %q) is not in v1 and not in Renames", g, p.name, p.where, p.method, p.path)
			}
		}
	}
}

// TestMethodValuesMatchTheEnums: the method values of the table are the
// enums of the v1 and mid-2024 types.
func TestMethodValuesMatchTheEnums(t *testing.T) {
	var gotV1, gotMid []string
	for _, r := range Renames {
		if r.Where == MethodValue {
			gotV1 = append(gotV1, r.Names[GenV1])
			gotMid = append(gotMid, r.Names[GenMid2024])
			if r.Names[Gen2023] != "" {
				t.Errorf("2023 entries have no method field, but the table spells %s %q there", r.Method, r.Names[Gen2023])
			}
			if string(r.Method) != r.Names[GenV1] {
				t.Errorf("method %s is spelt %q in v1", r.Method, r.Names[GenV1])
			}
		}
	}
	slices.Sort(gotV1)
	slices.Sort(gotMid)
	if want := sortedValues(v1.Methods); !slices.Equal(gotV1, want) {
		t.Errorf("v1 method values %v, the v1 enum has %v", gotV1, want)
	}
	if want := sortedValues(mid2024.Methods); !slices.Equal(gotMid, want) {
		t.Errorf("mid-2024 method values %v, the mid-2024 enum has %v", gotMid, want)
	}
}

func sortedValues[T ~string](vs []T) []string {
	out := values(vs)
	slices.Sort(out)
	return out
}

func TestGenerationLookups(t *testing.T) {
	if got := GenMid2024.Block(v1.MethodX509); got != "x509Credentials" {
		t.Errorf("mid-2024 X509 block = %q", got)
	}
	if m, ok := GenMid2024.Method("X509CREDENTIALS"); !ok || m != v1.MethodX509 {
		t.Errorf("mid-2024 method X509CREDENTIALS = %q, %v", m, ok)
	}
	if _, ok := GenV1.Method("x509Credentials"); ok {
		t.Error("v1 should not know method x509Credentials")
	}
	if m, ok := Gen2023.BlockMethod("sat"); !ok || m != v1.MethodServiceAccountToken {
		t.Errorf("2023 key sat = %q, %v", m, ok)
	}
	if got := GenMid2024.Field(v1.MethodCustom, "auth.x509", "secretRef"); got != "secretName" {
		t.Errorf("mid-2024 name of secretRef = %q", got)
	}
	if got := GenMid2024.Field(v1.MethodCustom, "", "endpoint"); got != "endpoint" {
		t.Errorf("an unchanged field's name = %q", got)
	}
	if got := strings.Join(Gen2023.EntryKeys(), ","); got != "sat,x509,custom,usernamePassword" {
		t.Errorf("2023 entry keys = %s", got)
	}
}
