package lint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/aio-authn/kubectl-aio-authn/internal/corpus"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// fastSchemaDocsEnv sets how many documents TestFastSchemaAgreesWithMachinery
// generates: the normal run checks a sample, the benchmark-sized run
// (FAST_SCHEMA_DOCS=100000) the issue's 100,000 or more.
const fastSchemaDocsEnv = "FAST_SCHEMA_DOCS"

// TestFastSchemaAgreesWithMachinery generates documents from every embedded
// CRD schema (valid ones, and ones mutated at one field or two: wrong
// type, unknown field, bad enum, out of range, missing required, null,
// float, CEL violation, bad metadata, duplicate list key, empty list) and
// checks the fast path's one promise: when it gives a verdict on a
// document, the API server's machinery returns exactly those issues (none
// when it accepts). It also checks that the fast path is not vacuous:
// every generated document the machinery finds clean is accepted, unless it
// is one the fast path leaves to the machinery on purpose (see declined),
// and some invalid documents get a verdict.
func TestFastSchemaAgreesWithMachinery(t *testing.T) {
	n := 1000
	if s := os.Getenv(fastSchemaDocsEnv); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("%s=%q: %v", fastSchemaDocsEnv, s, err)
		}
	}
	versions := fastTestVersions(t)
	r := rand.New(rand.NewPCG(14, uint64(n)))
	var accepted, rejected, clean, mutated, declined int
	for i := range n {
		v := versions[i%len(versions)]
		doc := generateDocument(r, v)
		mutation := "none"
		if i%3 != 0 {
			mutation = mutate(r, doc)
			mutated++
		}
		if i%5 == 1 {
			// Two problems: the fast path's verdict must have both, in
			// the machinery's order.
			mutation += ", " + mutate(r, doc)
		}
		before, _ := json.Marshal(doc)
		verdict, known := v.fast.verdict(doc)
		ok := known && len(verdict) == 0
		if after, _ := json.Marshal(doc); string(after) != string(before) {
			t.Fatalf("verdict changed its input:\n%s\n%s", before, after)
		}
		issues := v.check(runtime.DeepCopyJSON(doc))
		if known && len(verdict) > 0 {
			rejected++
			if !reflect.DeepEqual(verdict, issues) {
				t.Fatalf("%s (mutation %s): the fast path's issues differ from the machinery's:\nfast:      %s\nmachinery: %s\n%s",
					v.gvk, mutation, describeIssueList(verdict), describeIssueList(issues), before)
			}
		}
		if ok {
			accepted++
			if len(issues) > 0 {
				t.Fatalf("%s (mutation %s): the fast path accepted a document the machinery refuses: %v\n%s",
					v.gvk, mutation, describeIssues(issues), before)
			}
		}
		if len(issues) == 0 {
			clean++
			if !ok {
				if !deliberatelyDeclined(doc) {
					t.Fatalf("%s (mutation %s): the machinery accepts a document the fast path leaves to it:\n%s", v.gvk, mutation, before)
				}
				declined++
			}
		}
	}
	t.Logf("%d documents (%d mutated at one field or two): machinery clean %d, fast path accepted %d, rejected %d, clean but left to the machinery %d",
		n, mutated, clean, accepted, rejected, declined)
	if accepted == 0 || accepted == n || rejected == 0 {
		t.Fatalf("accepted %d and rejected %d of %d: the sample does not exercise every path", accepted, rejected, n)
	}
}

// deliberatelyDeclined reports whether doc has something the fast path
// leaves to the machinery although it may be valid: a float where an
// integer goes, metadata fields beyond name, generateName, namespace,
// labels and annotations, or a null that the server prunes.
func deliberatelyDeclined(doc any) bool {
	switch v := doc.(type) {
	case nil, float64:
		return true
	case map[string]any:
		if md, ok := v["metadata"].(map[string]any); ok {
			for k := range md {
				if !slices.Contains([]string{"name", "generateName", "namespace", "labels", "annotations"}, k) {
					return true
				}
			}
		}
		for _, c := range v {
			if deliberatelyDeclined(c) {
				return true
			}
		}
	case []any:
		for _, c := range v {
			if deliberatelyDeclined(c) {
				return true
			}
		}
	}
	return false
}

// describeIssueList shows issues with everything the findings are made of.
func describeIssueList(issues []serverIssue) string {
	var out []string
	for _, is := range issues {
		s := fmt.Sprintf("{kind %d path %q msg %q", is.kind, is.path, is.msg)
		if is.err != nil {
			s += fmt.Sprintf(" err %#v", *is.err)
		}
		out = append(out, s+"}")
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func describeIssues(issues []serverIssue) string {
	var out []string
	for _, is := range issues {
		switch {
		case is.err != nil:
			out = append(out, is.err.Error())
		case is.msg != "":
			out = append(out, is.msg)
		default:
			out = append(out, "unknown field "+is.path)
		}
	}
	return strings.Join(out, "; ")
}

// fastTestVersions are every embedded CRD version, the mid-2024 shape
// included, built.
func fastTestVersions(t testing.TB) []*crdVersion {
	t.Helper()
	if err := defaultSchemas.load(); err != nil {
		t.Fatal(err)
	}
	var out []*crdVersion
	for _, reg := range []map[string]*crdVersion{versionsByName(defaultSchemas.versions), versionsByName(defaultSchemas.mid2024)} {
		names := make([]string, 0, len(reg))
		for k := range reg {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			v := reg[k]
			v.once.Do(v.build)
			if v.err != nil {
				t.Fatal(v.err)
			}
			if v.fast == nil || v.fast.root.unsupported {
				t.Fatalf("%s: the fast path does not model this schema", v.gvk)
			}
			out = append(out, v)
		}
	}
	return out
}

func versionsByName[K comparable](m map[K]*crdVersion) map[string]*crdVersion {
	out := map[string]*crdVersion{}
	for _, v := range m {
		out[v.gvk.String()] = v
	}
	return out
}

// generateDocument returns a document of v's kind built from its schema,
// valid unless the choices made break a CEL rule (objects with rules get
// all their fields half of the time, a random subset otherwise).
func generateDocument(r *rand.Rand, v *crdVersion) map[string]any {
	doc := generateValue(r, v.structural, 0).(map[string]any)
	doc["apiVersion"] = v.gvk.GroupVersion().String()
	doc["kind"] = v.gvk.Kind
	md := map[string]any{}
	switch r.IntN(6) {
	case 0:
		md["generateName"] = "gen-"
	case 1:
		md["name"] = randomName(r, 3+r.IntN(61))
	default:
		md["name"] = randomName(r, 3+r.IntN(10))
	}
	if r.IntN(2) == 0 {
		md["namespace"] = "azure-iot-operations"
	}
	if r.IntN(3) == 0 {
		md["labels"] = map[string]any{"app.kubernetes.io/name": "broker", "tier": "edge"}
	}
	if r.IntN(4) == 0 {
		md["annotations"] = map[string]any{"example.com/note": "free text: anything", "x": ""}
	}
	doc["metadata"] = md
	return doc
}

func randomName(r *rand.Rand, n int) string {
	const inner = "abcdefghijklmnopqrstuvwxyz0123456789-"
	const edge = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		if i == 0 || i == n-1 {
			b[i] = edge[r.IntN(len(edge))]
		} else {
			b[i] = inner[r.IntN(len(inner))]
		}
	}
	return string(b)
}

var alternatives = regexp.MustCompile(`^\^\(\?i\)\(([^()]+)\)\$$`)

func generateValue(r *rand.Rand, s *structuralschema.Structural, depth int) any {
	vv := s.ValueValidation
	if vv == nil {
		vv = &structuralschema.ValueValidation{}
	}
	switch s.Type {
	case "object":
		m := map[string]any{}
		all := len(s.XValidations) > 0 && r.IntN(2) == 0
		keys := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if depth == 0 && (k == "metadata" || k == "apiVersion" || k == "kind") {
				continue
			}
			p := s.Properties[k]
			if all || slices.Contains(vv.Required, k) || r.IntN(5) < 3 {
				m[k] = generateValue(r, &p, depth+1)
			}
		}
		if ap := s.AdditionalProperties; ap != nil && ap.Structural != nil {
			for i := range r.IntN(3) {
				m["key"+strconv.Itoa(i)+randomName(r, 3)] = generateValue(r, ap.Structural, depth+1)
			}
		}
		return m
	case "array":
		count := r.IntN(3)
		if vv.MinItems != nil {
			count += int(*vv.MinItems)
		}
		l := make([]any, 0, count)
		seen := map[any]bool{}
		for len(l) < count {
			it := generateValue(r, s.Items, depth+1)
			if len(s.XListMapKeys) == 1 {
				k := it.(map[string]any)[s.XListMapKeys[0]]
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			l = append(l, it)
		}
		return l
	case "integer":
		lo, hi := int64(0), int64(100000)
		if vv.Minimum != nil {
			lo = int64(*vv.Minimum)
		}
		if vv.Maximum != nil {
			hi = int64(*vv.Maximum)
		}
		return lo + r.Int64N(hi-lo+1)
	case "boolean":
		return r.IntN(2) == 0
	case "string":
		if g := alternatives.FindStringSubmatch(vv.Pattern); g != nil {
			alts := strings.Split(g[1], "|")
			return randomCase(r, alts[r.IntN(len(alts))])
		}
		if vv.Pattern == "^https://" {
			return "https://auth.example.com:8443/" + randomName(r, 4)
		}
		lo, hi := 0, 20
		if vv.MinLength != nil {
			lo = int(*vv.MinLength)
		}
		if vv.MaxLength != nil {
			hi = min(hi, int(*vv.MaxLength))
		}
		const letters = "abcXYZ019-_ .:/é"
		runes := []rune(letters)
		n := lo + r.IntN(hi-lo+1)
		b := make([]rune, n)
		for i := range b {
			b[i] = runes[r.IntN(len(runes))]
		}
		return string(b)
	}
	return nil
}

func randomCase(r *rand.Rand, s string) string {
	switch r.IntN(3) {
	case 0:
		return s
	case 1:
		return strings.ToLower(s)
	}
	b := []byte(s)
	for i := range b {
		if r.IntN(2) == 0 {
			b[i] = byte(strings.ToUpper(string(b[i]))[0])
		}
	}
	return string(b)
}

// slot is one place in a document: a key of a mapping or an index of a
// list.
type slot struct {
	m   map[string]any
	l   []any
	key string
	i   int
}

func (s slot) get() any {
	if s.m != nil {
		return s.m[s.key]
	}
	return s.l[s.i]
}

func (s slot) set(v any) {
	if s.m != nil {
		s.m[s.key] = v
	} else {
		s.l[s.i] = v
	}
}

func slots(v any, out []slot) []slot {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, slot{m: v, key: k})
			out = slots(v[k], out)
		}
	case []any:
		for i := range v {
			out = append(out, slot{l: v, i: i})
			out = slots(v[i], out)
		}
	}
	return out
}

// mutate changes doc at one place, and says how.
func mutate(r *rand.Rand, doc map[string]any) string {
	all := slots(doc, nil)
	// apiVersion and kind chose the schema: leave them.
	all = slices.DeleteFunc(all, func(s slot) bool {
		return s.m != nil && (s.key == "apiVersion" || s.key == "kind") && s.m["metadata"] != nil
	})
	s := all[r.IntN(len(all))]
	md, _ := doc["metadata"].(map[string]any)
	switch kind := r.IntN(15); kind {
	case 0:
		switch s.get().(type) {
		case string:
			s.set(int64(7))
		case map[string]any, []any:
			s.set("text")
		default:
			s.set(map[string]any{"a": "b"})
		}
		return "wrong type"
	case 1:
		if m, ok := s.get().(map[string]any); ok {
			m["unknownField"] = "x"
		} else if s.m != nil {
			s.m["unknownField"+strconv.Itoa(r.IntN(3))] = int64(1)
		}
		return "unknown field"
	case 2:
		if _, ok := s.get().(string); ok {
			s.set([]string{"Bogus", "", "x509 ", "ＣＵＳＴＯＭ", "cuſtom", "http://plain.example.com"}[r.IntN(6)])
		}
		return "bad enum or pattern"
	case 3:
		if _, ok := s.get().(int64); ok {
			s.set([]int64{-1, 65536, 1 << 40, 1<<53 + 1}[r.IntN(4)])
		}
		return "out of range"
	case 4:
		if s.m != nil {
			delete(s.m, s.key)
		} else if len(s.l) > 0 {
			s.set(map[string]any{})
		}
		return "missing field"
	case 5:
		s.set(nil)
		return "null"
	case 6:
		if i, ok := s.get().(int64); ok {
			s.set(float64(i) + []float64{0, 0.5}[r.IntN(2)])
		} else {
			s.set(1.5)
		}
		return "float"
	case 7:
		// A CEL violation: a settings block or tls.manual gone, or a
		// method or mode naming a block that is absent.
		for _, c := range all {
			if c.m == nil {
				continue
			}
			switch c.key {
			case "customSettings", "serviceAccountTokenSettings", "x509Settings", "custom", "serviceAccountToken", "x509Credentials", "manual":
				if r.IntN(2) == 0 {
					delete(c.m, c.key)
					return "CEL violation"
				}
			case "mode":
				if r.IntN(2) == 0 {
					c.m[c.key] = "Manual"
					return "CEL violation"
				}
			case "method":
				if r.IntN(2) == 0 {
					c.m[c.key] = []string{"Custom", "ServiceAccountToken", "X509", "X509Credentials"}[r.IntN(4)]
					return "CEL violation"
				}
			}
		}
		return "CEL violation (none possible)"
	case 8:
		if md != nil {
			md["name"] = []string{"ab", "Bad_Name", strings.Repeat("a", 64), "a.b", "-ab", "", strings.Repeat("b", 254), "ok-name"}[r.IntN(8)]
		}
		return "metadata name"
	case 9:
		if md != nil {
			switch r.IntN(4) {
			case 0:
				md["namespace"] = "Bad Namespace"
			case 1:
				md["labels"] = map[string]any{"bad key!": "v"}
			case 2:
				md["labels"] = map[string]any{"k": int64(1)}
			default:
				md["annotations"] = map[string]any{"a": strings.Repeat("x", 300*1024)}
			}
		}
		return "metadata"
	case 10:
		if md != nil {
			md[[]string{"uid", "creationTimestamp", "finalizers", "unknownMeta", "resourceVersion"}[r.IntN(5)]] = "x"
		}
		return "metadata field"
	case 11:
		if l, ok := s.get().([]any); ok && len(l) > 0 {
			s.set(append(l, runtime.DeepCopyJSONValue(l[0])))
		}
		return "duplicate list item"
	case 12:
		if str, ok := s.get().(string); ok {
			s.set(str + strings.Repeat("z", 70))
		}
		return "long string"
	case 13:
		if l, ok := s.get().([]any); ok && len(l) > 0 {
			s.set([]any{})
		}
		return "empty list"
	default:
		if str, ok := s.get().(string); ok && len(str) > 0 {
			s.set("")
		}
		return "empty string"
	}
}

// TestEnginesAgreeOnCorpora lints every committed input (the repository's
// testdata, the fuzz corpus, a generated corpus) with both schema engines
// and compares the JSON reports byte for byte.
func TestEnginesAgreeOnCorpora(t *testing.T) {
	var files []*manifest.File
	err := filepath.WalkDir("../../testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files = append(files, manifest.Parse(p, data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seeds, err := filepath.Glob("testdata/fuzz/*/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n")[1:] {
			if s, ok := strings.CutPrefix(line, "[]byte("); ok {
				if b, err := strconv.Unquote(strings.TrimSuffix(s, ")")); err == nil {
					files = append(files, manifest.Parse(fmt.Sprintf("%s#%d", p, i), []byte(b)))
				}
			}
		}
	}
	for _, f := range corpus.Generate(2000, 10, 3) {
		files = append(files, manifest.Parse(f.Name, f.Data))
	}
	if len(files) < 300 {
		t.Fatalf("only %d inputs found", len(files))
	}
	report := func(fs []*manifest.File, engine SchemaEngine) string {
		r, err := NewReporter("json", ReportOptions{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := r.Report(&buf, Lint(fs, Options{Now: testNow, SchemaEngine: engine})); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	findings := 0
	for _, f := range files {
		fast, server := report([]*manifest.File{f}, EngineFast), report([]*manifest.File{f}, EngineAPIServer)
		if fast != server {
			t.Errorf("%s: the engines disagree\nfast:\n%s\napiserver:\n%s", f.Path, fast, server)
		}
		findings += strings.Count(server, `"rule"`)
	}
	t.Logf("%d inputs, %d findings, identical reports", len(files), findings)
}
