package manifest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const twoDocs = `# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: client-ca
---
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata:
  name: default
  namespace: azure-iot-operations
spec:
  authenticationMethods:
  - method: serviceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
`

func TestParsePositionsAreFileRelative(t *testing.T) {
	f := Parse("authn.yaml", []byte(twoDocs))
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	if len(f.Documents) != 2 {
		t.Fatalf("got %d documents, want 2", len(f.Documents))
	}
	d := f.Documents[1]
	if d.Kind != "BrokerAuthentication" || d.Name != "default" || d.Namespace != "azure-iot-operations" || d.Index != 1 || d.Line != 7 {
		t.Fatalf("document header = %+v", d)
	}
	if !d.Is("mqttbroker.iotoperations.azure.com", "BrokerAuthentication") || d.Version() != "v1" {
		t.Fatalf("Is/Version wrong for %q", d.APIVersion)
	}
	tests := []struct {
		path string
		want Position
	}{
		{"spec.authenticationMethods[0].method", Position{14, 13}},
		{"spec.authenticationMethods[0].serviceAccountTokenSettings", Position{15, 5}},
		{"spec.authenticationMethods[0].serviceAccountTokenSettings.audiences[0]", Position{16, 19}},
		// Missing fields point at the deepest parent that exists.
		{"spec.authenticationMethods[0].x509Settings", Position{14, 5}},
		{"spec.authenticationMethods[3].method", Position{13, 3}},
	}
	for _, tt := range tests {
		if got := d.Position(tt.path); got != tt.want {
			t.Errorf("Position(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if got := d.KeyPosition("spec.authenticationMethods[0].method"); got != (Position{14, 5}) {
		t.Errorf("KeyPosition = %v", got)
	}
}

func TestSyntaxErrorLineIsFileRelative(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n    bad: indent\n"
	f := Parse("bad.yaml", []byte(src))
	if f.Err == nil {
		t.Fatal("want a syntax error")
	}
	if f.Err.Line != 8 || len(f.Documents) != 1 {
		t.Fatalf("err = %v (line %d), documents %d; want line 8 after 1 good document", f.Err, f.Err.Line, len(f.Documents))
	}
}

func TestObjectMatchesKubectlDataModel(t *testing.T) {
	src := `a: yes
b: "yes"
c: 0x10
d: 1.5
e: 2024-01-01
f: ~
g: &x {k: v}
h: *x
i: {<<: *x, j: 1}
a: no
`
	d := Parse("x.yaml", []byte(src)).Documents[0]
	v, problems := d.Object()
	want := map[string]any{"a": false, "b": "yes", "c": int64(16), "d": 1.5, "e": "2024-01-01", "f": nil,
		"g": map[string]any{"k": "v"}, "h": map[string]any{"k": "v"}, "i": map[string]any{"k": "v", "j": int64(1)}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("Object() = %#v\nwant %#v", v, want)
	}
	if len(problems) != 1 || problems[0].Kind != "duplicate-key" || problems[0].Pos.Line != 10 || problems[0].First.Line != 1 {
		t.Errorf("problems = %+v, want one duplicate key at line 10", problems)
	}
}

func TestReadAllWalksDirectories(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"b.yaml": "kind: B\n", "a.yml": "kind: A\n", "sub/c.json": `{"kind": "C"}`,
		"notes.txt": "kind: ignored\n", ".git/d.yaml": "kind: D\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, _, err := ReadAll([]string{dir, "-"}, strings.NewReader("kind: S\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range files {
		for _, d := range Parse(f.Path, f.Data).Documents {
			kinds = append(kinds, d.Kind)
		}
	}
	if got := strings.Join(kinds, ","); got != "A,B,C,S" {
		t.Errorf("kinds = %s, want A,B,C,S", got)
	}
	if _, _, err := ReadAll([]string{filepath.Join(dir, "missing.yaml")}, nil, Limits{}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing path: err = %v", err)
	}
}

// billionLaughs is a resource whose aliases expand to 10^9 values: each
// level lists the previous one ten times.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 8; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.Repeat(p+", ", 9)+p)
	}
	return b.String()
}

func TestObjectRefusesBillionLaughs(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n---\n" + billionLaughs()
	f := Parse("lol.yaml", []byte(src))
	if f.Err != nil || len(f.Documents) != 2 {
		t.Fatalf("parse: %v, %d documents", f.Err, len(f.Documents))
	}
	d := f.Documents[1]
	want := Problem{Pos: Position{Line: 5, Column: 1}, Kind: "alias-expansion", Msg: "the document's aliases expand to more than 1000000 values"}
	if p := d.AliasProblem(); p == nil || *p != want {
		t.Fatalf("AliasProblem() = %+v, want %+v", p, want)
	}
	v, problems := d.Object()
	if v != nil || len(problems) != 1 || problems[0] != want {
		t.Errorf("Object() = %T, %+v; want nil and %+v", v, problems, want)
	}
	b, problems, err := d.JSON()
	if b != nil || len(problems) != 1 || !errors.Is(err, ErrAliasExpansion) {
		t.Errorf("JSON() = %q, %+v, %v; want an error wrapping ErrAliasExpansion", b, problems, err)
	}
	if p := f.Documents[0].AliasProblem(); p != nil {
		t.Errorf("a document without aliases: %+v", p)
	}
}

// TestAliasLimitBoundary builds documents whose expansion is exactly
// MaxExpandedValues, and one more: a sequence (1 value) holding an anchored
// list of 999 scalars (1000 values), 998 aliases of it (1000 each) and n
// scalars.
func TestAliasLimitBoundary(t *testing.T) {
	doc := func(n int) *Document {
		var b strings.Builder
		b.WriteString("- &a [" + strings.TrimSuffix(strings.Repeat("x, ", 999), ", ") + "]\n")
		b.WriteString(strings.Repeat("- *a\n", 998))
		b.WriteString(strings.Repeat("- y\n", n))
		f := Parse("edge.yaml", []byte(b.String()))
		if f.Err != nil {
			t.Fatal(f.Err)
		}
		return f.Documents[0]
	}
	at := doc(MaxExpandedValues - 999_001)
	if p := at.AliasProblem(); p != nil {
		t.Errorf("%d values refused: %+v", MaxExpandedValues, p)
	}
	if v, problems := at.Object(); len(problems) != 0 || len(v.([]any)) != 999+MaxExpandedValues-999_001 {
		t.Errorf("Object() at the limit: %d items, problems %+v", len(v.([]any)), problems)
	}
	if p := doc(MaxExpandedValues - 999_001 + 1).AliasProblem(); p == nil || p.Kind != "alias-expansion" {
		t.Errorf("%d values accepted", MaxExpandedValues+1)
	}
}
