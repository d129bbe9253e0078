package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
)

// streams are YAML streams whose documents the Splitter must find exactly
// as a decoder of the whole stream does.
var streams = []string{
	twoDocs,
	"a: 1\n",
	"a: 1",
	"---\na: 1\n---\nb: 2\n",
	"# only a comment\n",
	"---\n---\n---\na: 1\n---\n",
	"# head\n---\na: 1\n# trailing comment of a\n---\n# head of b\nb: 2\n",
	"a: |\n  --- not a marker when indented\n  text\nb: 2\n---\nc: 3\n",
	"--- {a: 1}\n--- [x, y]\n---   # comment\nz: 1\n",
	"a: 1\n...\n---\nb: 2\n...\n",
	"%YAML 1.1\n---\na: 1\n...\n%YAML 1.1\n---\nb: 2\n",
	"a: 1\r\n---\r\nb: 2\r\n",
	"\ufeffa: 1\n---\nb: 2\n",
	"---x: 1\n---\ny: 2\n",
	"a: &x [1, 2]\nb: *x\n---\nc: &x {k: v}\nd: *x\n",
	"--- |\n  block scalar document\n---\n- seq\n",
	"---\n~\n---\nnull\n---\na: 1\n",
	"items:\n- kind: A\n- kind: B\n",
	"'multi\n  line'\n---\n\"quoted\n  too\"\n",
	"a: 1\n\n\n\n---\n\n\nb: 2\n\n",
	"00\r0\n--- 000",
	"a: 1\r---\rb: 2\r",
	"a: \"x\u0085y\"\n---\nb: 2\n",
}

// decodeAll decodes a whole stream as one, the reference.
func decodeAll(t testing.TB, data string) []*yaml.Node {
	dec := yaml.NewDecoder(strings.NewReader(data))
	var out []*yaml.Node
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("reference decode of %q: %v", data, err)
			}
			return out
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			continue
		}
		out = append(out, n.Content[0])
	}
}

// sameTree compares two node trees: kinds, values and positions.
func sameTree(a, b *yaml.Node) string {
	if a.Kind != b.Kind || a.Value != b.Value || a.Tag != b.Tag || a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("node %q (kind %d, %d:%d) vs %q (kind %d, %d:%d)", a.Value, a.Kind, a.Line, a.Column, b.Value, b.Kind, b.Line, b.Column)
	}
	for i := range a.Content {
		if d := sameTree(a.Content[i], b.Content[i]); d != "" {
			return d
		}
	}
	return ""
}

func TestSplitterFindsTheDocumentsOfTheWholeStream(t *testing.T) {
	for _, s := range streams {
		want := decodeAll(t, s)
		f := Parse("s.yaml", []byte(s))
		if f.Err != nil {
			t.Errorf("%q: %v", s, f.Err)
			continue
		}
		if len(f.Documents) != len(want) {
			t.Errorf("%q: %d documents, want %d", s, len(f.Documents), len(want))
			continue
		}
		for i, d := range f.Documents {
			if d.Index != i {
				t.Errorf("%q: document %d has index %d", s, i, d.Index)
			}
			if diff := sameTree(d.Root, want[i]); diff != "" {
				t.Errorf("%q: document %d differs: %s", s, i, diff)
			}
		}
		// The chunks put back together are the input.
		sp := NewSplitter("s.yaml", strings.NewReader(s), input.Document)
		var back bytes.Buffer
		line := 1
		for {
			c, err := sp.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Line != line {
				t.Errorf("%q: chunk at line %d, want %d", s, c.Line, line)
			}
			line += lineBreaks(c.Data)
			back.Write(c.Data)
		}
		if back.String() != s {
			t.Errorf("chunks of %q put back together: %q", s, back.String())
		}
	}
}

// TestSyntaxErrorsAreTheWholeStreams: documents read one at a time stop at
// the same error, on the same file line, as the whole stream read at once.
func TestSyntaxErrorsAreTheWholeStreams(t *testing.T) {
	for _, src := range []string{
		"a: 1\n---\nb: 2\n---\nc: [1, 2\nd: 4\n---\ne: 5\n",
		"a: 1\n---\nb:\n  c: 1\n   d: 2\n",
		"a: 1\n---\nb: 'unterminated\n",
		"a: 1\n...\nb: 2\n",
		"a: 1\n---\n- x\ny: 2\n",
	} {
		dec := yaml.NewDecoder(strings.NewReader(src))
		good := 0
		var want error
		for want == nil {
			var n yaml.Node
			if want = dec.Decode(&n); want == nil {
				good++
			}
		}
		f := Parse("bad.yaml", []byte(src))
		if f.Err == nil {
			t.Errorf("%q: no error, want %v", src, want)
			continue
		}
		whole := syntaxError("bad.yaml", []byte(src), want)
		if f.Err.Line != whole.Line || f.Err.Msg != whole.Msg || len(f.Documents) != good {
			t.Errorf("%q: %v after %d documents; the whole stream: %v after %d", src, f.Err, len(f.Documents), whole, good)
		}
	}
}

func TestSplitterCapsOneDocument(t *testing.T) {
	doc := input.Kind{Name: "YAML document", Max: 100, Flag: "--max-document-size"}
	src := "a: 1\n---\nb: " + strings.Repeat("x", 200) + "\n"
	sp := NewSplitter("big.yaml", strings.NewReader(src), doc)
	if _, err := sp.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := sp.Next()
	want := "big.yaml: the document at line 2 is larger than 100 bytes, the cap for a YAML document: raise it with --max-document-size"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	// One line with no newline at all (/dev/zero) is cut at the cap too.
	sp = NewSplitter("zero", io.LimitReader(zeros{}, 1<<20), doc)
	if _, err := sp.Next(); !errors.As(err, new(*input.TooLargeError)) {
		t.Fatalf("endless line: err = %v", err)
	}
}

func TestSplitterStopsAtTheFileCap(t *testing.T) {
	file := input.Kind{Name: "manifest file", Max: 1000, Flag: "--max-manifest-size"}
	r := input.Reader(strings.NewReader(strings.Repeat("---\na: 1\n", 500)), StdinName, file)
	s := NewStream(StdinName, r, Limits{File: file})
	n := 0
	var err error
	for ; err == nil; n++ {
		_, err = s.Next()
	}
	if !errors.As(err, new(*input.TooLargeError)) || !strings.Contains(err.Error(), "<stdin>: larger than 1000 bytes") {
		t.Fatalf("after %d documents: err = %v", n, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestAliasBytesAreBounded: a long string repeated through aliases is
// refused by its expanded bytes, though it has few values.
func TestAliasBytesAreBounded(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	src := "a: &a \"" + long + "\"\nb: [" + strings.TrimSuffix(strings.Repeat("*a, ", 200), ", ") + "]\n"
	f := Parse("bomb.yaml", []byte(src))
	if f.Err != nil {
		t.Fatal(f.Err)
	}
	p := f.Documents[0].AliasProblem()
	if p == nil || !strings.Contains(p.Msg, "expand to more than 16 MiB, the cap for a YAML document (--max-document-size)") {
		t.Fatalf("AliasProblem() = %+v", p)
	}
	if _, _, err := f.Documents[0].JSON(); !errors.Is(err, ErrAliasExpansion) {
		t.Fatalf("JSON() err = %v", err)
	}
	// The same with a few aliases is fine, and so is a long document
	// without any.
	src = "a: &a \"" + long + "\"\nb: [*a, *a]\nc: \"" + strings.Repeat("y", 10<<20) + "\"\n"
	if p := Parse("ok.yaml", []byte(src)).Documents[0].AliasProblem(); p != nil {
		t.Fatalf("AliasProblem() = %+v", p)
	}
}

func FuzzSplitterAgreesWithTheWholeStream(f *testing.F) {
	for _, s := range streams {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want []*yaml.Node
		dec := yaml.NewDecoder(strings.NewReader(s))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return // only valid streams have an answer to agree with
			}
			if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
				continue
			}
			want = append(want, n.Content[0])
		}
		got := Parse("f.yaml", []byte(s))
		if got.Err != nil {
			if strings.Contains(s, "*") || strings.Contains(s, "%") {
				// Aliases to another document's anchor, and directives
				// of another document, are errors once documents are
				// read alone, as kubectl reads them.
				return
			}
			t.Fatalf("%q: %v", s, got.Err)
		}
		if len(got.Documents) != len(want) {
			t.Fatalf("%q: %d documents, want %d", s, len(got.Documents), len(want))
		}
		for i, d := range got.Documents {
			if diff := sameTree(d.Root, want[i]); diff != "" {
				t.Fatalf("%q: document %d: %s", s, i, diff)
			}
		}
	})
}
