package lint

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unique"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// DefaultWarnWithin is how close to expiry a certificate gets a warning.
const DefaultWarnWithin = 30 * 24 * time.Hour

// Options tune a run.
type Options struct {
	// Now is the time certificates are checked against; zero means the
	// current time.
	Now time.Time
	// WarnWithin is how close to expiry a certificate must be to get a
	// warning; zero means DefaultWarnWithin.
	WarnWithin time.Duration
	// Strict turns warnings into errors.
	Strict bool
	// Workers bounds the files checked in parallel; zero means GOMAXPROCS.
	Workers int
	// Limits cap each input and each document; the zero value means
	// manifest.DefaultLimits.
	Limits manifest.Limits
	// SchemaEngine chooses how broker resources are checked against their
	// CRD; empty means EngineFast. Both give the same findings.
	SchemaEngine SchemaEngine
}

// Lint checks files already in memory (their Data); see LintPaths.
func Lint(files []*manifest.File, opts Options) *Result {
	sources := make([]source, len(files))
	for i, f := range files {
		sources[i] = source{path: f.Path, open: func() (io.Reader, func(), error) {
			return bytes.NewReader(f.Data), func() {}, nil
		}}
	}
	res, _ := lintSources(sources, opts)
	return res
}

// LintPaths reads the paths (files, directories walked for *.yaml, *.yml and
// *.json, "-" for stdin) and checks them. Files are read as streams of
// documents by a bounded pool of workers; documents are parsed and checked
// in small groups, on every core, and dropped once checked: only findings
// and what the cross-reference rules need are kept, so memory stays near a
// few groups' worth whatever the size of the inputs. Notes say what the
// directory walks skipped. A path that cannot be read, or is over a cap, is
// an error (*input.Error, *input.TooLargeError; nothing is checked then);
// YAML syntax errors are findings.
func LintPaths(paths []string, stdin io.Reader, opts Options) (*Result, error) {
	expanded, notes, err := manifest.Expand(paths)
	if err != nil {
		return nil, err
	}
	sources := make([]source, 0, len(expanded))
	for _, p := range expanded {
		name := p
		if p == "-" {
			name = manifest.StdinName
		}
		sources = append(sources, source{path: name, open: func() (io.Reader, func(), error) {
			o, err := manifest.OpenPath(p, stdin, opts.Limits)
			if err != nil {
				return nil, nil, err
			}
			return o, func() { o.Close() }, nil
		}})
	}
	res, err := lintSources(sources, opts)
	if res != nil {
		res.Notes = notes
	}
	return res, err
}

// source is one input file, opened by the worker that checks it.
type source struct {
	path string
	open func() (r io.Reader, close func(), err error)
}

func lintSources(sources []source, opts Options) (*Result, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.WarnWithin == 0 {
		opts.WarnWithin = DefaultWarnWithin
	}
	opts.Limits = opts.Limits.OrDefault()
	perFile := checkSources(sources, &opts)

	res := &Result{}
	idx := &inputIndex{}
	order := map[string]int{}
	for i, s := range sources {
		out := &perFile[i]
		if out.err != nil {
			return nil, out.err
		}
		order[s.path] = i
		res.Files = append(res.Files, s.path)
		res.Summary.Files++
		res.Summary.Documents += out.documents
		idx.add(out)
	}
	x := &crossCheck{opts: &opts, idx: idx}
	x.run()
	// The findings are copied into one slice once, each file's parts let
	// go as soon as they are copied: large inputs have many findings.
	total := len(x.findings)
	for i := range perFile {
		for _, part := range perFile[i].parts {
			total += len(part)
		}
	}
	res.Findings = make([]Finding, 0, total)
	for i := range perFile {
		for j, part := range perFile[i].parts {
			res.Findings = append(res.Findings, part...)
			perFile[i].parts[j] = nil
		}
	}
	res.Findings = append(res.Findings, x.findings...)

	res.Resources = idx.resources(order)
	res.Summary.Resources = len(res.Resources)
	for _, f := range res.Findings {
		if f.rejects {
			if res.rejections == nil {
				res.rejections = map[docRef][]string{}
			}
			k := docRef{f.File, f.Document}
			res.rejections[k] = append(res.rejections[k], fmt.Sprintf("%s: %s", f.Rule, f.Message))
		}
	}
	res.Findings = visible(res.Findings)
	if opts.Strict {
		for i := range res.Findings {
			if res.Findings[i].Severity == SeverityWarning {
				res.Findings[i].Severity = SeverityError
			}
		}
	}
	sortFindings(res.Findings)
	res.count()
	return res, nil
}

// fileOutcome is what checking one file (or a group of its documents)
// yields: its findings and what the cross-reference rules need from its
// documents.
type fileOutcome struct {
	findings []Finding
	// parts are the findings of a whole file, a slice per group.
	parts     [][]Finding
	authns    []*authnInfo
	listeners []*listenerInfo
	// objects are the ConfigMaps and Secrets, checked later if referenced.
	objects []*objectInfo
	// resources are the broker resources of the file.
	resources []Resource
	documents int
	err       error
}

// add appends what a group yielded to out, the group's document indexes
// counted from base: groups are checked before they know how many
// documents came before them.
func (out *fileOutcome) add(o *fileOutcome, base int) {
	for i := range o.findings {
		o.findings[i].Document += base
	}
	for _, a := range o.authns {
		a.hdr.index += base
	}
	for _, l := range o.listeners {
		l.hdr.index += base
	}
	for _, obj := range o.objects {
		obj.hdr.index += base
	}
	for i := range o.resources {
		o.resources[i].Document += base
	}
	out.parts = append(out.parts, o.findings)
	out.authns = append(out.authns, o.authns...)
	out.listeners = append(out.listeners, o.listeners...)
	out.objects = append(out.objects, o.objects...)
	out.resources = append(out.resources, o.resources...)
}

// intern returns the canonical copy of s.
func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

// text is the source text of a chunk of a file, for the rules that read
// lines (TOML hints, PEM block positions); split into lines on first use.
type text struct {
	// first is the file line of data's first line.
	first int
	data  []byte
	once  sync.Once
	lines []string
}

// line returns line n of the file (from 1), if it is in this text.
func (t *text) line(n int) (string, bool) {
	if t == nil {
		return "", false
	}
	t.once.Do(func() { t.lines = strings.Split(string(t.data), "\n") })
	i := n - t.first
	if i < 0 || i >= len(t.lines) {
		return "", false
	}
	return t.lines[i], true
}

// docCheck checks one document.
type docCheck struct {
	doc  *manifest.Document
	opts *Options
	// src is the document's text; chunk and item say where the document
	// is in it, for ConfigMaps and Secrets kept to be checked later.
	src      *text
	chunk    manifest.Chunk
	item     int
	findings []Finding
	// unserved is set when the document's shape is one no broker serves
	// (the mid-2024 preview): the API server refuses it until it is
	// converted.
	unserved bool
	// gen is the API generation whose names the document uses: v1's for
	// v1 and the 2025 v1beta1, the mid-2024 preview's for that shape.
	gen api.Generation
	// shape is the evidence of the v1beta1 shapes, for v1beta1
	// BrokerAuthentications.
	shape api.PreviewShape
}

// at adds a finding about path, positioned at the key when key is true
// (the field itself is wrong) and else at the value.
func (c *docCheck) at(path string, key bool, rule, msg, hint string) *Finding {
	var pos manifest.Position
	if key {
		pos = c.doc.KeyPosition(path)
	} else {
		pos = c.doc.Position(path)
	}
	return c.atPos(pos, path, rule, msg, hint)
}

func (c *docCheck) atPos(pos manifest.Position, path, rule, msg, hint string) *Finding {
	r, ok := RuleByID(rule)
	if !ok {
		panic("lint: unknown rule " + rule) // a programming error, caught by the rule table test
	}
	if pos.Line < 1 {
		pos = manifest.Position{Line: max(c.doc.Line, 1), Column: 1}
	}
	if pos.Column < 1 {
		pos.Column = 1
	}
	c.findings = append(c.findings, Finding{
		File: c.doc.File, Line: pos.Line, Column: pos.Column, Document: c.doc.Index,
		Kind: c.doc.Kind, Name: c.doc.Name, Field: path,
		Severity: r.Severity, Rule: rule, Message: msg, Hint: strings.TrimRight(hint, "\n"),
	})
	return &c.findings[len(c.findings)-1]
}

func (c *docCheck) run(out *fileOutcome) {
	d := c.doc
	if p := d.AliasProblem(); p != nil {
		// A "billion laughs" document: expanding its aliases, as kubectl
		// and every check here would, takes unbounded time and memory.
		// kubectl refuses such documents too.
		f := c.atPos(p.Pos, "", RuleYAMLSyntax, p.Msg, "write the repeated parts out, or use fewer nested aliases")
		f.rejects = true
		return
	}
	switch {
	case d.Group() == api.Group && (d.Kind == api.KindBrokerAuthentication || d.Kind == api.KindBrokerListener):
		out.resources = append(out.resources, resourceOf(d))
		c.checkServed()
		if d.Kind == api.KindBrokerAuthentication {
			if a := c.checkAuthn(); a != nil {
				out.authns = append(out.authns, a)
			}
		} else if l := c.checkListener(); l != nil {
			out.listeners = append(out.listeners, l)
		}
	case d.Group() == api.Group2023 && (d.Kind == api.KindBrokerAuthentication || d.Kind == api.KindBrokerListener):
		out.resources = append(out.resources, resourceOf(d))
		c.check2023()
	case (d.Kind == api.KindBrokerAuthentication || d.Kind == api.KindBrokerListener) && looksLikeBrokerGroup(d):
		// A broker kind under a misspelt or incomplete apiVersion would be
		// skipped as "another kind" otherwise.
		out.resources = append(out.resources, resourceOf(d))
		f := c.at("apiVersion", false, RuleAPIVersion,
			fmt.Sprintf("apiVersion %q is not an API of the broker", d.APIVersion),
			fmt.Sprintf("apiVersion: %s/v1", api.Group))
		f.rejects = true
	case d.APIVersion == "v1" && (d.Kind == "ConfigMap" || d.Kind == "Secret"):
		out.objects = append(out.objects, &objectInfo{hdr: headerOf(d), ns: d.Namespace, line: d.Line,
			chunk: c.chunk, item: c.item, limit: c.opts.Limits.Document})
	}
	c.settle()
}

// looksLikeBrokerGroup reports whether an apiVersion that is not one of the
// broker's was meant to be: no group/version split, or an iotoperations
// group.
func looksLikeBrokerGroup(d *manifest.Document) bool {
	return !strings.Contains(d.APIVersion, "/") || strings.Contains(d.Group(), "iotoperations")
}

func resourceOf(d *manifest.Document) Resource {
	return Resource{File: d.File, Document: d.Index, Line: d.Line, Kind: d.Kind, Name: d.Name}
}

// checkServed runs the API server's checks for a broker resource: strict
// decoding (duplicate keys, unknown fields), the CRD schema, metadata, CEL.
func (c *docCheck) checkServed() {
	d := c.doc
	gvk := schema.GroupVersionKind{Group: d.Group(), Version: d.Version(), Kind: d.Kind}
	obj, problems := d.Object()
	m, _ := obj.(map[string]any)
	v, shape, err := defaultSchemas.forObject(gvk, m)
	if err != nil {
		// The embedded CRDs are part of the binary; failing to read them
		// is a bug, reported where it shows rather than as a crash.
		c.at("", false, RuleSchema, "internal error: "+err.Error(), "")
		return
	}
	c.shape = shape
	if shape.Kind() == api.ShapeMid2024 {
		c.gen = api.GenMid2024
	}
	for _, p := range problems {
		f := c.atPos(p.Pos, p.Path, RuleDuplicateKey, p.Msg, "remove one of them: the API server's strict field validation refuses duplicate fields")
		if p.Kind == "duplicate-key" {
			f.rejects = true
		} else {
			f.Rule = RuleNonStringKey
			f.Severity = SeverityWarning
			f.Hint = "quote the key"
		}
	}
	if m == nil {
		// Unreachable for documents with a kind, kept for safety.
		f := c.at("", false, RuleSchema, "the document is not a mapping", "a resource is a mapping with apiVersion, kind, metadata and spec")
		f.rejects = true
		return
	}
	if v == nil {
		served := defaultSchemas.served[gvk.GroupKind()]
		f := c.at("apiVersion", false, RuleAPIVersion,
			fmt.Sprintf("%s is not served for %s (served: %s)", d.APIVersion, d.Kind, strings.Join(served, ", ")),
			fmt.Sprintf("apiVersion: %s/v1", api.Group))
		f.rejects = true
		return
	}
	var issues []serverIssue
	known := false
	if c.opts.SchemaEngine != EngineAPIServer {
		issues, known = v.fast.verdict(m)
	}
	if !known {
		issues = v.check(m)
	}
	for _, is := range issues {
		c.serverFinding(is, v)
	}
	c.unserved = !v.served
	c.enumSpellings()
}

// visible drops the hidden findings (kept until now for the verdict).
func visible(fs []Finding) []Finding {
	out := fs[:0]
	for _, f := range fs {
		if !f.hidden {
			out = append(out, f)
		}
	}
	return out
}

// docRef names a document of the inputs.
type docRef struct {
	file  string
	index int
}

// schemaRejections lints one file alone and returns, per document the API
// server would refuse (strict field validation, schema, CEL, unserved
// version), the reasons. Documents it would accept, and kinds it does not
// serve, are absent. The differential test compares this verdict with a
// real API server's, with either schema engine.
func schemaRejections(f *manifest.File, engine SchemaEngine) map[int][]string {
	res := Lint([]*manifest.File{f}, Options{SchemaEngine: engine})
	out := map[int][]string{}
	for k, reasons := range res.rejections {
		out[k.index] = reasons
	}
	return out
}

// node helpers over the document's YAML tree.

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// child returns the value node of key in mapping n (the last one when
// duplicated, as kubectl keeps the last).
func child(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var v *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v = n.Content[i+1]
		}
	}
	return resolve(v)
}

// keys returns the keys of mapping n in order.
func keys(n *yaml.Node) []string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

// str returns the scalar value of n, and whether n is a string-like scalar.
func str(n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", false
	}
	return n.Value, true
}

func items(n *yaml.Node) []*yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, it := range n.Content {
		out[i] = resolve(it)
	}
	return out
}
