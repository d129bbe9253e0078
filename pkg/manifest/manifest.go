// Package manifest reads Kubernetes manifests the way operators keep them:
// files, directories walked recursively, standard input, several YAML
// documents per file. Every document keeps its YAML node tree so that any
// field can be traced back to a line and column of the file (not of the
// document), which is what findings and error messages point at.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// StdinName is the file name used for documents read from standard input.
const StdinName = input.StdinName

// File is one input file and the documents in it.
type File struct {
	// Path is the path as the user gave it (or found under a directory they
	// gave), or StdinName.
	Path string
	// Data is the file's content.
	Data []byte
	// Documents are the documents parsed before any syntax error.
	Documents []*Document
	// Err is the YAML syntax error that stopped parsing, if any. Documents
	// before it are still usable.
	Err *SyntaxError
}

// Document is one YAML document of a file.
type Document struct {
	// File is the path of the file holding the document.
	File string
	// Index is the document's position in the file, from 0.
	Index int
	// Line is the file line (from 1) where the document's content starts.
	Line int
	// Root is the document's top node, usually a mapping. Line and column of
	// every node are relative to the file.
	Root *yaml.Node

	APIVersion string
	Kind       string
	Name       string
	Namespace  string

	// aliases is AliasProblem's answer once known.
	aliases        *Problem
	aliasesChecked bool
}

func newDocument(name string, index int, root *yaml.Node) *Document {
	d := &Document{File: name, Index: index, Line: root.Line, Root: root}
	d.APIVersion = d.scalar("apiVersion")
	d.Kind = d.scalar("kind")
	if md := mappingValue(root, "metadata"); md != nil {
		d.Name = scalarValue(md, "name")
		d.Namespace = scalarValue(md, "namespace")
	}
	return d
}

// SyntaxError is a YAML syntax error at a file position.
type SyntaxError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", ui.Escape(e.File), e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", ui.Escape(e.File), e.Line, e.Msg)
}

// manifestExt are the extensions read from directories. Files named
// explicitly are read whatever their extension.
var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// IsManifestName reports whether a file found in a directory is read as a
// manifest: *.yaml, *.yml or *.json.
func IsManifestName(name string) bool { return manifestExt[strings.ToLower(filepath.Ext(name))] }

// Expand turns the user's paths into the list of files to read: directories
// are walked recursively for *.yaml, *.yml and *.json (sorted, so output is
// stable; see input.Walk for links and special files), "-" stands for
// standard input and is kept as is, once (standard input can be read only
// once). The notes say what the walks skipped.
func Expand(paths []string) ([]string, []input.Note, error) {
	var out []string
	var notes []input.Note
	stdin := false
	for _, p := range paths {
		if p == "-" {
			if !stdin {
				out = append(out, p)
			}
			stdin = true
			continue
		}
		info, err := input.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		found, skipped, err := input.Walk(p, IsManifestName)
		if err != nil {
			return nil, nil, err
		}
		if len(found) == 0 {
			skipped = append(skipped, input.Note{Path: p, Msg: "no *.yaml, *.yml or *.json files in this directory"})
		}
		out = append(out, found...)
		notes = append(notes, skipped...)
	}
	return out, notes, nil
}

// OpenPath opens a path of Expand's list ("-" is stdin, which the caller
// reads once) with lim's file cap, and returns the name findings use.
func OpenPath(p string, stdin io.Reader, lim Limits) (*input.Opened, error) {
	lim = lim.OrDefault()
	if p == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		return input.Reader(stdin, StdinName, lim.File), nil
	}
	return input.Open(p, lim.File)
}

// Source is the text of one input, read whole.
type Source struct {
	// Path is the path as the user gave it (or found under a directory),
	// or StdinName.
	Path string
	Data []byte
}

// ReadAll expands paths and reads every file whole, each within lim.File,
// for commands that rewrite files (convert); readers that only look at
// documents stream them instead (NewStream). stdin is read for "-" (at most
// once). A path that cannot be read, or is over the cap, is an error
// (*input.Error, *input.TooLargeError).
func ReadAll(paths []string, stdin io.Reader, lim Limits) ([]Source, []input.Note, error) {
	files, notes, err := Expand(paths)
	if err != nil {
		return nil, nil, err
	}
	lim = lim.OrDefault()
	var out []Source
	for _, p := range files {
		o, err := OpenPath(p, stdin, lim)
		if err != nil {
			return nil, nil, err
		}
		data, err := readChunks(o, lim.Document)
		o.Close()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, Source{Path: o.Path, Data: data})
	}
	return out, notes, nil
}

// readChunks reads o whole, a document at a time, so that a document over
// doc's cap (/dev/zero's one endless line) stops the read there.
func readChunks(o *input.Opened, doc input.Kind) ([]byte, error) {
	var data []byte
	if o.Size > 0 {
		data = make([]byte, 0, o.Size)
	}
	sp := NewSplitter(o.Path, o, doc)
	for {
		c, err := sp.Next()
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		data = append(data, c.Data...)
	}
}

// Parse splits data into documents. Empty documents (a lone "---", comments
// only) are dropped; document indexes count the kept ones. Data already in
// memory is parsed whatever its length; aliases are held to input.Document's
// cap.
func Parse(name string, data []byte) *File { return ParseAs(name, data, input.Document) }

// ParseAs is Parse with the aliases of each document held to k's cap, for
// inputs of another kind than manifests (an attributes file).
func ParseAs(name string, data []byte, k input.Kind) *File {
	f := &File{Path: name, Data: data}
	unbounded := k
	unbounded.Max = math.MaxInt64
	sp := NewSplitter(name, bytes.NewReader(data), unbounded)
	for {
		c, err := sp.Next()
		if err != nil {
			// Data in memory ends (io.EOF) and has no cap to pass.
			return f
		}
		docs, serr := ParseChunk(name, c, len(f.Documents), k)
		f.Documents = append(f.Documents, docs...)
		if serr != nil {
			f.Err = serr
			return f
		}
	}
}

var lineRe = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError turns a yaml.v3 error into a positioned one. yaml.v3 reports
// 1-based lines relative to the whole stream, so they are file lines already.
func syntaxError(name string, data []byte, err error) *SyntaxError {
	msg := err.Error()
	se := &SyntaxError{File: name, Msg: msg}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		se.Msg = m[2]
		if m[1] != "" {
			se.Line, _ = strconv.Atoi(m[1])
		}
	}
	if se.Line == 0 {
		// Errors such as "found unexpected end of stream" carry no line;
		// they are at the end of the input.
		se.Line = bytes.Count(data, []byte("\n")) + 1
		if len(data) > 0 && data[len(data)-1] == '\n' {
			se.Line--
		}
	}
	return se
}

func (d *Document) scalar(key string) string { return scalarValue(d.Root, key) }

// mappingValue returns the value node of key in mapping m, or nil.
// The last one wins when the key is duplicated, as in kubectl; aliases are
// followed.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	_, v := mappingEntry(m, key)
	return resolve(v)
}

func scalarValue(m *yaml.Node, key string) string {
	if v := mappingValue(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// Is reports whether the document has the given kind in the given API group
// (any version).
func (d *Document) Is(group, kind string) bool {
	if d.Kind != kind {
		return false
	}
	g, _, found := strings.Cut(d.APIVersion, "/")
	if !found {
		g = ""
	}
	return g == group
}

// Version returns the version part of apiVersion.
func (d *Document) Version() string {
	_, v, found := strings.Cut(d.APIVersion, "/")
	if !found {
		return d.APIVersion
	}
	return v
}

// Group returns the group part of apiVersion ("" for the core group).
func (d *Document) Group() string {
	g, _, found := strings.Cut(d.APIVersion, "/")
	if !found {
		return ""
	}
	return g
}

// ExpandLists replaces each List document (what `kubectl get -o yaml`
// prints: kind List or FooList with items) by its items, each a document of
// its own, as kubectl apply reads them. Items keep the List's document
// index; their lines and columns are the file's, as for any node. A List
// whose aliases expand past the caps is kept whole, for its AliasProblem.
func ExpandLists(docs []*Document) []*Document {
	var out []*Document
	for _, d := range docs {
		items := mappingValue(d.Root, "items")
		if !strings.HasSuffix(d.Kind, "List") || items == nil || items.Kind != yaml.SequenceNode || d.AliasProblem() != nil {
			out = append(out, d)
			continue
		}
		for _, it := range items.Content {
			it = resolve(it)
			if it == nil || it.Kind != yaml.MappingNode {
				continue
			}
			item := newDocument(d.File, d.Index, it)
			// The List was measured with its items.
			item.aliasesChecked = true
			out = append(out, item)
		}
	}
	return out
}
