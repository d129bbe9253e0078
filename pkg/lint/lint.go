package lint

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

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
}

// API groups of the broker's resources, by generation.
const (
	groupBroker = "mqttbroker.iotoperations.azure.com"
	// group2023 is the group of the 2023 preview (apiVersion
	// mq.iotoperations.azure.com/v1beta1), which no current broker serves.
	group2023 = "mq.iotoperations.azure.com"

	kindAuthn    = "BrokerAuthentication"
	kindListener = "BrokerListener"
)

// Lint checks already parsed files; see LintPaths.
func Lint(files []*manifest.File, opts Options) *Result {
	sources := make([]source, len(files))
	for i, f := range files {
		sources[i] = source{path: f.Path, load: func() (*manifest.File, error) { return f, nil }}
	}
	res, _ := lintSources(sources, opts)
	return res
}

// LintPaths reads the paths (files, directories walked for *.yaml, *.yml and
// *.json, "-" for stdin) and checks them. Files are read, parsed and checked
// by a bounded pool of workers, and only what the cross-reference rules
// need is kept of each, so large inputs use all cores and little memory.
// A path that cannot be read is a *manifest.ReadError (nothing is checked
// then); YAML syntax errors are findings.
func LintPaths(paths []string, stdin io.Reader, opts Options) (*Result, error) {
	expanded, err := manifest.Expand(paths)
	if err != nil {
		return nil, err
	}
	sources := make([]source, 0, len(expanded))
	stdinRead := false
	for _, p := range expanded {
		if p == "-" {
			if stdinRead {
				continue
			}
			stdinRead = true
			if stdin == nil {
				stdin = os.Stdin
			}
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, &manifest.ReadError{Path: manifest.StdinName, Err: err}
			}
			sources = append(sources, source{path: manifest.StdinName, load: func() (*manifest.File, error) {
				return manifest.Parse(manifest.StdinName, data), nil
			}})
			continue
		}
		sources = append(sources, source{path: p, load: func() (*manifest.File, error) {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, &manifest.ReadError{Path: p, Err: err}
			}
			return manifest.Parse(p, data), nil
		}})
	}
	return lintSources(sources, opts)
}

// source is one input file, read and parsed by a worker.
type source struct {
	path string
	load func() (*manifest.File, error)
}

func lintSources(sources []source, opts Options) (*Result, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.WarnWithin == 0 {
		opts.WarnWithin = DefaultWarnWithin
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cores := max(workers, 1)
	workers = max(min(workers, len(sources)), 1)

	perFile := make([]fileOutcome, len(sources))
	jobs := make(chan int)
	// cpu holds a token per document-checking goroutine, so that a worker
	// with a large file can use the cores other workers leave idle.
	cpu := make(chan struct{}, cores)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f, err := sources[i].load()
				if err != nil {
					perFile[i].err = err
					continue
				}
				cpu <- struct{}{}
				perFile[i] = checkFile(f, &opts, cpu)
				<-cpu
			}
		}()
	}
	for i := range sources {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	res := &Result{Findings: []Finding{}}
	idx := &inputIndex{}
	order := map[string]int{}
	for i, s := range sources {
		out := perFile[i]
		if out.err != nil {
			return nil, out.err
		}
		order[s.path] = i
		res.Files = append(res.Files, s.path)
		res.Summary.Files++
		res.Summary.Documents += out.documents
		res.Findings = append(res.Findings, out.findings...)
		idx.add(out)
	}
	x := &crossCheck{opts: &opts, idx: idx}
	x.run()
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

// fileOutcome is what checking one file yields: its findings and what the
// cross-reference rules need from its documents.
type fileOutcome struct {
	findings  []Finding
	authns    []*authnInfo
	listeners []*listenerInfo
	// objects are the ConfigMaps and Secrets, checked later if referenced.
	objects []*objectInfo
	// resources are the broker resources of the file.
	resources []Resource
	documents int
	err       error
}

// chunkSize is how many documents of one file a worker checks before
// offering the rest to idle cores: a file with thousands of documents (a
// List from kubectl get) should not keep the other cores idle.
const chunkSize = 64

func checkFile(f *manifest.File, opts *Options, cpu chan struct{}) fileOutcome {
	docs := expandLists(f.Documents)
	defaultSchemas.prewarm(docs)
	linesOf := sync.OnceValue(func() []string { return strings.Split(string(f.Data), "\n") })

	var chunks [][]*manifest.Document
	for len(docs) > chunkSize {
		chunks = append(chunks, docs[:chunkSize])
		docs = docs[chunkSize:]
	}
	chunks = append(chunks, docs)
	parts := make([]fileOutcome, len(chunks))
	var wg sync.WaitGroup
	for i, chunk := range chunks {
		if i > 0 && cpu != nil {
			// Borrow an idle core if there is one; never wait for one,
			// so that workers cannot block each other.
			select {
			case cpu <- struct{}{}:
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-cpu }()
					parts[i] = checkDocs(chunk, opts, linesOf)
				}()
				continue
			default:
			}
		}
		parts[i] = checkDocs(chunk, opts, linesOf)
	}
	wg.Wait()

	out := fileOutcome{documents: len(f.Documents)}
	for _, p := range parts {
		out.findings = append(out.findings, p.findings...)
		out.authns = append(out.authns, p.authns...)
		out.listeners = append(out.listeners, p.listeners...)
		out.objects = append(out.objects, p.objects...)
		out.resources = append(out.resources, p.resources...)
	}
	if f.Err != nil {
		out.findings = append(out.findings, syntaxFinding(f, linesOf()))
	}
	return out
}

func checkDocs(docs []*manifest.Document, opts *Options, lines func() []string) fileOutcome {
	var out fileOutcome
	for _, d := range docs {
		c := &docCheck{doc: d, opts: opts, lines: lines, gen: genV1}
		c.run(&out)
		out.findings = append(out.findings, c.findings...)
	}
	return out
}

// expandLists replaces each List document (what `kubectl get -o yaml`
// prints: kind List or FooList with items) by its items, each checked as a
// document of its own. Items keep the List's document index; their lines
// and columns are the file's, as for any node.
func expandLists(docs []*manifest.Document) []*manifest.Document {
	var out []*manifest.Document
	for _, d := range docs {
		items := items(child(d.Root, "items"))
		if !strings.HasSuffix(d.Kind, "List") || items == nil {
			out = append(out, d)
			continue
		}
		for _, it := range items {
			if it == nil || it.Kind != yaml.MappingNode {
				continue
			}
			item := &manifest.Document{File: d.File, Index: d.Index, Line: it.Line, Root: it}
			item.APIVersion, _ = str(child(it, "apiVersion"))
			item.Kind, _ = str(child(it, "kind"))
			md := child(it, "metadata")
			item.Name, _ = str(child(md, "name"))
			item.Namespace, _ = str(child(md, "namespace"))
			out = append(out, item)
		}
	}
	return out
}

// docCheck checks one document.
type docCheck struct {
	doc      *manifest.Document
	opts     *Options
	lines    func() []string
	findings []Finding
	// unserved is set when the document's shape is one no broker serves
	// (the mid-2024 preview): the API server refuses it until it is
	// converted.
	unserved bool
	// gen is the API generation whose names the document uses: v1's for
	// v1 and the 2025 v1beta1, the mid-2024 preview's for that shape.
	gen *generation
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
	case d.Group() == groupBroker && (d.Kind == kindAuthn || d.Kind == kindListener):
		out.resources = append(out.resources, resourceOf(d))
		c.checkServed()
		if d.Kind == kindAuthn {
			if a := c.checkAuthn(); a != nil {
				out.authns = append(out.authns, a)
			}
		} else if l := c.checkListener(); l != nil {
			out.listeners = append(out.listeners, l)
		}
	case d.Group() == group2023 && (d.Kind == kindAuthn || d.Kind == kindListener):
		out.resources = append(out.resources, resourceOf(d))
		c.check2023()
	case (d.Kind == kindAuthn || d.Kind == kindListener) && looksLikeBrokerGroup(d):
		// A broker kind under a misspelt or incomplete apiVersion would be
		// skipped as "another kind" otherwise.
		out.resources = append(out.resources, resourceOf(d))
		f := c.at("apiVersion", false, RuleAPIVersion,
			fmt.Sprintf("apiVersion %q is not an API of the broker", d.APIVersion),
			fmt.Sprintf("apiVersion: %s/v1", groupBroker))
		f.rejects = true
	case d.APIVersion == "v1" && (d.Kind == "ConfigMap" || d.Kind == "Secret"):
		out.objects = append(out.objects, &objectInfo{doc: d, lines: c.lines})
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
		c.gen = genV1beta1
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
			fmt.Sprintf("apiVersion: %s/v1", groupBroker))
		f.rejects = true
		return
	}
	for _, is := range v.check(m) {
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
// real API server's.
func schemaRejections(f *manifest.File) map[int][]string {
	res := Lint([]*manifest.File{f}, Options{})
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
