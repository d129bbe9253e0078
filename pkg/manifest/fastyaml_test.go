package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/internal/corpus"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
)

// compareReaders reads data with the fast reader and, when it handles it,
// with yaml.v3's Decoder as ParseChunk does: yaml.v3 must then read one
// document without error and nothing after it, and build the same tree,
// field by field. It reports whether the fast reader handled data.
func compareReaders(t testing.TB, data []byte) bool {
	t.Helper()
	fast, ok := fastDocument(data)
	if !ok {
		return false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var want yaml.Node
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("the fast reader read %q, which yaml.v3 rejects: %v", data, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		t.Fatalf("the fast reader read %q as one document; yaml.v3 reads on (%v)", data, err)
	}
	if !reflect.DeepEqual(fast, &want) {
		t.Fatalf("the readers disagree on %q\nfast:\n%s\nyaml.v3:\n%s", data, dumpNode(fast), dumpNode(&want))
	}
	return true
}

// dumpNode prints every field of every node, one node a line.
func dumpNode(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		fmt.Fprintf(&b, "%s%d:%d kind=%d style=%d tag=%q value=%q anchor=%q alias=%v head=%q line=%q foot=%q content=%v\n",
			strings.Repeat("  ", depth), n.Line, n.Column, n.Kind, n.Style, n.Tag, n.Value, n.Anchor, n.Alias != nil,
			n.HeadComment, n.LineComment, n.FootComment, n.Content != nil)
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// compareChunks splits data as every reader does and compares the readers
// on each chunk; it returns the chunks handled and read.
func compareChunks(t testing.TB, data []byte) (handled, chunks int) {
	t.Helper()
	unbounded := input.Document
	unbounded.Max = math.MaxInt64
	sp := NewSplitter("test", bytes.NewReader(data), unbounded)
	for {
		c, err := sp.Next()
		if err != nil {
			return handled, chunks
		}
		chunks++
		if compareReaders(t, c.Data) {
			handled++
		}
	}
}

// fuzzValues decodes the []byte and string values of a Go fuzz corpus file.
func fuzzValues(t *testing.T, data []byte) [][]byte {
	var out [][]byte
	for _, l := range strings.Split(string(data), "\n")[1:] {
		for _, p := range []string{"[]byte(", "string("} {
			if strings.HasPrefix(l, p) && strings.HasSuffix(l, ")") {
				v, err := strconv.Unquote(l[len(p) : len(l)-1])
				if err != nil {
					t.Fatalf("fuzz corpus line %q: %v", l, err)
				}
				out = append(out, []byte(v))
			}
		}
	}
	return out
}

var fencedYAML = regexp.MustCompile("(?s)```ya?ml\n(.*?)```")

// TestFastReaderAgreesWithYAMLv3 compares the readers on every file under
// the repository's testdata directories, the fuzz corpora, the YAML
// examples of the docs and generated corpora, and counts what the fast
// reader handled: it must handle every generated document, else it brings
// nothing.
func TestFastReaderAgreesWithYAMLv3(t *testing.T) {
	root := filepath.Join("..", "..")
	type source struct {
		handled, chunks, files int
	}
	counts := map[string]*source{}
	add := func(kind string, data []byte) {
		s := counts[kind]
		if s == nil {
			s = &source{}
			counts[kind] = s
		}
		h, c := compareChunks(t, data)
		s.handled += h
		s.chunks += c
		s.files++
		// The whole text as one chunk too: the fast reader must give up
		// on a second document rather than misread it.
		compareReaders(t, data)
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case len(parts) > 2 && parts[len(parts)-3] == "fuzz" && strings.Contains(rel, "testdata"):
			for _, v := range fuzzValues(t, data) {
				add("fuzz corpora", v)
			}
		case strings.Contains("/"+filepath.ToSlash(rel), "/testdata/"):
			add("testdata", data)
		case strings.HasSuffix(rel, ".md") && (parts[0] == "docs" || rel == "README.md"):
			for _, m := range fencedYAML.FindAllSubmatch(data, -1) {
				add("docs examples", m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 5, 7, 9} {
		for _, f := range corpus.Generate(2000, 10, seed) {
			add("generated corpus", f.Data)
		}
	}
	for _, kind := range []string{"testdata", "fuzz corpora", "docs examples", "generated corpus"} {
		s := counts[kind]
		if s == nil || s.chunks == 0 {
			t.Fatalf("no documents read from the %s", kind)
		}
		t.Logf("%s: %d files, the fast reader handled %d of %d chunks", kind, s.files, s.handled, s.chunks)
	}
	if g := counts["generated corpus"]; g.handled != g.chunks {
		t.Errorf("the fast reader handled %d of the %d generated documents; it must handle all", g.handled, g.chunks)
	}
}

// TestFastReaderSubset pins what the fast reader hands to yaml.v3, and
// compares the readers on what it keeps.
func TestFastReaderSubset(t *testing.T) {
	handled := []string{
		"a: b\n",
		"---\na: b\n",
		"\n\n  a: b\n  c: d\n",
		"a:\n  b: c\n  d:\n  - e\n  - f: g\n    h: 1\n  - 'q'\n  - \"r s\"\ni: [x, 'y', \"z\"]\nj: []\nk: true\nl: ~\nm: 0\nn: 123456789012345678\n",
		"a:\n- b: c\n  d:\n  - e\nf: g",
		"key with spaces: value with spaces  \nurl: https://x:8443/a?b=c\nsubject: CN = a, O = b\n",
		"a:   [ x ,y ]  \n",
		"<<: x\nTrue: False\nNULL: y\n",
	}
	for _, s := range handled {
		if !compareReaders(t, []byte(s)) {
			t.Errorf("the fast reader gave up on %q", s)
		}
	}
	declined := []string{
		"",
		"\n",
		"---\n",
		"a: b # c\n",
		"# c\na: b\n",
		"a: &x b\nc: *x\n",
		"a: !!str b\n",
		"a: {b: c}\n",
		"a: |\n  b\n",
		"a: >\n  b\n",
		"a: b\n  c\n",
		"a: 'b\n  c'\n",
		"a: \"b\\n\"\n",
		"a: 'it''s'\n",
		"a:\tb\n",
		"a: b\r\n",
		"a: é\n",
		"a: b\n---\nc: d\n",
		"a: b\n...\n",
		"%YAML 1.2\n---\na: b\n",
		"--- a: b\n",
		"a:\n",
		"a:\nb: c\n",
		"a: b: c\n",
		"a: 1.5\n",
		"a: 0x1F\n",
		"a: 012\n",
		"a: 2024-01-01\n",
		"a: -1\n",
		"a: .inf\n",
		"- a\n",
		"a\n",
		"a: [b, ]\n",
		"a: [b: c]\n",
		"a: [b\n",
		"a:\n  - b\n  c: d\n",
		"a:\n -\n  b\n",
		"a: b\n c: d\n",
		"\"a\": b\n",
		"a : b\n",
		strings.Repeat("k", 600) + ": v\n",
		strings.Repeat("a:\n ", 300) + "b: c\n",
	}
	for _, s := range declined {
		if _, ok := fastDocument([]byte(s)); ok {
			t.Errorf("the fast reader read %q; it should leave it to yaml.v3", s)
		}
	}
}

// FuzzFastReader compares the readers on arbitrary input: whatever the fast
// reader handles, yaml.v3 must read the same.
func FuzzFastReader(f *testing.F) {
	for _, d := range corpus.Generate(12, 3, 1) {
		f.Add(d.Data)
	}
	for _, s := range []string{
		"a: b\n", "---\na:\n- b: [c, 'd', \"e\"]\n  f: 1\n", "a:\n  b: true\n  c: ~\n",
		"a: b # c\n", "a: b\n  c\n", "a: [b, ]\n", "<<: x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareReaders(t, data)
		compareChunks(t, data)
	})
}

// BenchmarkReaders reads a generated corpus with each reader.
func BenchmarkReaders(b *testing.B) {
	var chunks []Chunk
	for _, f := range corpus.Generate(1000, 10, 1) {
		sp := NewSplitter("bench", bytes.NewReader(f.Data), input.Document)
		for {
			c, err := sp.Next()
			if err != nil {
				break
			}
			chunks = append(chunks, c)
		}
	}
	for _, r := range []YAMLReader{ReaderFast, ReaderYAMLv3} {
		b.Run(string(r), func(b *testing.B) {
			SetYAMLReader(r)
			defer SetYAMLReader(ReaderFast)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for j, c := range chunks {
					if _, err := ParseChunk("bench", c, j, input.Document); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestFastReaderRandomDocuments compares the readers on documents built at
// random from the subset's grammar, with scalars that sit on its edges
// (numbers yaml.v3 resolves otherwise, indicators, colons, quotes), odd
// indentation, blank lines and trailing spaces: the fuzzer rarely builds
// nested YAML that the fast reader handles, these reach every branch.
func TestFastReaderRandomDocuments(t *testing.T) {
	scalars := []string{
		"a", "a b", "a  b", "x-tenant", "https://a:8443/b?c=d", "CN = a, O = b", "a:b", "a :b", "0", "1", "true",
		"~", "'q r'", "\"d\"", "[a, b]", "[]", "[ a , 'b' , \"c\" ]", "FALSE", "Null", "a'b", "<<", "a b: ", "a:", "007", "08", "123456789012345678", "1234567890123456789", "1_000", "0x1F", "0o7", "0b1", "1e3", "1.5",
		"-1", "+1", ".5", ".inf", "-.inf", ".nan", "2024-01-01", "2024-01-01T00:00:00Z", "1:30",
		"true", "True", "TRUE", "tRue", "false", "y", "Y", "yes", "no", "on", "off", "n", "~", "null", "Null", "NULL", "nULL", "<<", "<a",
		"'q'", "'q r'", "''", "'it''s'", "' a '", "\"d\"", "\"\"", "\"a\\\"b\"", "\"a'b\"", "'a\"b'", "'a: b'", "a'b", "a\"b",
		"[a]", "[]", "[ ]", "[a, b]", "[a,b]", "[ a , 'b' , \"c\" ]", "[a, ]", "[a b]", "[a]b", "[a: b]", "[a?b]", "[-a]", "[1, 2]",
		"{a: b}", "&x a", "*x", "!t a", "!!str a", "|", ">", "@a", "`a", "%a", "?", "? a", "- a", "-", "-a", "a #b", "a#b",
		"a,b", "a]", "a}", "a{b", ",a", "]a",
	}
	keys := []string{"a", "b", "key with spaces", "x-y", "0", "1", "true", "~", "<<", "k.v/w", "a:b", "a:", "a: b", "'q'", "\"q\"", "[a]", "-a", "?a", "a ", "08", "1.5"}
	var rnd uint64 = 1
	next := func(n int) int {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		return int(rnd % uint64(n))
	}
	// Mostly scalars the fast reader reads, so that a document (a dozen
	// scalars) is often read whole.
	scalar := func(from []string) string {
		if next(5) == 0 {
			return from[next(len(from))]
		}
		return from[next(len(from)/3)]
	}
	var b strings.Builder
	pad := func() {
		if next(8) == 0 {
			b.WriteString(strings.Repeat(" ", next(3)))
		}
	}
	blank := func() {
		if next(10) == 0 {
			b.WriteString(strings.Repeat(" ", next(4)) + "\n")
		}
	}
	var mapping func(col, depth int, inline bool)
	var sequence func(col, depth int)
	value := func(col, depth int) {
		// After "key:": an inline scalar, or a nested collection.
		switch r := next(10); {
		case depth > 4 || r < 6:
			b.WriteString(strings.Repeat(" ", 1+next(2)*next(2)) + scalar(scalars))
			pad()
			b.WriteString("\n")
		case r < 8:
			pad()
			b.WriteString("\n")
			blank()
			mapping(col+1+next(3), depth+1, false)
		default:
			pad()
			b.WriteString("\n")
			blank()
			sequence(col+next(3), depth+1)
		}
	}
	mapping = func(col, depth int, inline bool) {
		for i, n := 0, 1+next(4); i < n; i++ {
			if !(inline && i == 0) {
				b.WriteString(strings.Repeat(" ", col))
			}
			b.WriteString(scalar(keys) + ":")
			value(col, depth)
			blank()
		}
	}
	sequence = func(col, depth int) {
		for i, n := 0, 1+next(4); i < n; i++ {
			sp := 1 + next(2)*next(2)
			b.WriteString(strings.Repeat(" ", col) + "-" + strings.Repeat(" ", sp))
			if depth < 5 && next(2) == 0 {
				mapping(col+1+sp, depth+1, true)
			} else {
				b.WriteString(scalar(scalars))
				pad()
				b.WriteString("\n")
			}
			blank()
		}
	}
	handled := 0
	const documents = 100000
	for i := 0; i < documents; i++ {
		b.Reset()
		if next(4) == 0 {
			b.WriteString("---\n")
		}
		blank()
		mapping(next(2), 0, false)
		if compareReaders(t, []byte(b.String())) {
			handled++
		}
	}
	t.Logf("the fast reader handled %d of %d random documents", handled, documents)
	if handled < documents/10 {
		t.Errorf("the fast reader handled only %d of %d random documents: the test no longer reaches it", handled, documents)
	}
}
