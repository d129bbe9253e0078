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
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// StdinName is the file name used for documents read from standard input.
const StdinName = "<stdin>"

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
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ReadError reports a path that could not be read.
type ReadError struct {
	Path string
	Err  error
}

func (e *ReadError) Error() string {
	if errors.Is(e.Err, fs.ErrNotExist) {
		return fmt.Sprintf("%s: no such file or directory", e.Path)
	}
	if errors.Is(e.Err, fs.ErrPermission) {
		return fmt.Sprintf("%s: permission denied", e.Path)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// manifestExt are the extensions read from directories. Files named
// explicitly are read whatever their extension.
var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// Expand turns the user's paths into the list of files to read: directories
// are walked recursively for *.yaml, *.yml and *.json (sorted, so output is
// stable), "-" stands for standard input and is kept as is.
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, &ReadError{Path: p, Err: err}
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return &ReadError{Path: path, Err: err}
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if manifestExt[strings.ToLower(filepath.Ext(path))] {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// ReadPaths expands paths and parses every file. stdin is read for "-" (at
// most once). A path that cannot be read is a *ReadError; syntax errors are
// recorded on the File, not returned.
func ReadPaths(paths []string, stdin io.Reader) ([]*File, error) {
	files, err := Expand(paths)
	if err != nil {
		return nil, err
	}
	var out []*File
	stdinRead := false
	for _, p := range files {
		var data []byte
		name := p
		if p == "-" {
			if stdinRead {
				continue
			}
			stdinRead = true
			name = StdinName
			if stdin == nil {
				stdin = os.Stdin
			}
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(p)
		}
		if err != nil {
			return nil, &ReadError{Path: name, Err: err}
		}
		out = append(out, Parse(name, data))
	}
	return out, nil
}

// Parse splits data into documents. Empty documents (a lone "---", comments
// only) are dropped; document indexes count the kept ones.
func Parse(name string, data []byte) *File {
	f := &File{Path: name, Data: data}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Err = syntaxError(name, data, err)
			break
		}
		if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		doc := &Document{File: name, Index: len(f.Documents), Line: root.Line, Root: root}
		doc.APIVersion = doc.scalar("apiVersion")
		doc.Kind = doc.scalar("kind")
		if md := mappingValue(root, "metadata"); md != nil {
			doc.Name = scalarValue(md, "name")
			doc.Namespace = scalarValue(md, "namespace")
		}
		f.Documents = append(f.Documents, doc)
	}
	return f
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
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
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
