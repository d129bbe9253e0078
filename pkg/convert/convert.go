// Package convert rewrites BrokerAuthentication (and BrokerListener)
// documents of the broker's older API generations to v1, in the YAML node
// tree, so that comments and key order survive. Documents that need no
// conversion are copied byte for byte; only converted documents are
// re-encoded.
package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// Target is the only API version convert writes.
const Target = "v1"

// Change is one edit to a document, at the line of the input it was made.
type Change struct {
	Line int
	// Path is the field path in the input document.
	Path string
	// What describes the edit: "→ customSettings", "removed: ...".
	What string
}

// Document is what conversion did to one document.
type Document struct {
	Index int
	// Line is where the document's content starts in the input file.
	Line      int
	Kind      string
	Name      string
	Namespace string
	// From is the apiVersion before conversion.
	From    string
	Changes []Change
	// Warnings are what the operator must do by hand, or problems the
	// converted document still has.
	Warnings []Warning
}

// Warning is something conversion could not do for the operator.
type Warning struct {
	Line int
	Msg  string
}

// Result is one converted file.
type Result struct {
	Path string
	// Output is the file with its documents converted; identical to the
	// input when nothing needed converting.
	Output []byte
	// Converted lists the documents that were changed.
	Converted []Document
}

// Error is a document that cannot be converted, at a line of its file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// separator matches a document start marker line ("---", optionally with a
// comment); a marker followed by content starts a chunk of its own.
var separator = regexp.MustCompile(`^---(?:[ \t]+#.*|[ \t]*)\r?\n?$`)

// chunk is a run of the input holding at most one document: an optional
// separator line and the body after it.
type chunk struct {
	sep      []byte
	body     []byte
	bodyLine int // file line of the body's first line
}

// File converts the documents of one file. A file that does not parse, or
// holds a document that cannot be converted, is an error naming the line.
func File(path string, data []byte) (*Result, error) { return FileWithin(path, data, input.Document) }

// FileWithin is File with documents (and their aliases expanded) held to
// doc's cap instead of input.Document's.
func FileWithin(path string, data []byte, doc input.Kind) (*Result, error) {
	if err := manifest.Check(path, data, doc); err != nil {
		return nil, err
	}
	chunks := split(data)
	res := &Result{Path: path}
	var out bytes.Buffer
	var errs []error
	index := 0
	for _, c := range chunks {
		out.Write(c.sep)
		// A document written with CRLF line endings is converted as LF
		// and written back with CRLF, so that the YAML encoder's and the
		// edits' LF do not leave mixed line endings.
		body := c.body
		if bytes.Contains(body, []byte("\r\n")) {
			body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
		}
		docs := decodeAll(body)
		if len(docs) > 1 {
			// Only a "--- content" line can leave two documents in a chunk.
			if line := needsConversion(docs); line > 0 {
				return nil, &Error{File: path, Line: c.bodyLine - 1 + line,
					Msg: "cannot convert a document that starts on its \"---\" line: put \"---\" on a line of its own"}
			}
			out.Write(c.body)
			continue
		}
		if len(docs) == 0 || docs[0].Content[0].Kind != yaml.MappingNode {
			// Comments only, or not a mapping: nothing to convert.
			out.Write(c.body)
			continue
		}
		doc := docs[0]
		conv := &converter{file: path, offset: c.bodyLine - 1, doc: &Document{Index: index, Line: c.bodyLine - 1 + doc.Content[0].Line}}
		index++
		changed, err := conv.document(doc.Content[0])
		if err != nil {
			errs = append(errs, err)
			out.Write(c.body)
			continue
		}
		if !changed {
			out.Write(c.body)
			continue
		}
		encoded, ok := []byte(nil), false
		if !conv.structural {
			encoded, ok = applyEdits(body, conv.edits)
		}
		if !ok {
			encoded, err = encode(doc, body)
		}
		if err != nil {
			return nil, &Error{File: path, Line: conv.doc.Line, Msg: "re-encoding the converted document: " + err.Error()}
		}
		conv.checkSchema(doc.Content[0])
		out.Write(sameLineEndings(encoded, c.body))
		res.Converted = append(res.Converted, *conv.doc)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	res.Output = out.Bytes()
	return res, nil
}

// sameLineEndings gives encoded the line endings of body: a file written on
// Windows (CRLF) stays CRLF, where the YAML encoder and the edits write LF.
func sameLineEndings(encoded, body []byte) []byte {
	if !bytes.Contains(body, []byte("\r\n")) {
		return encoded
	}
	lf := bytes.ReplaceAll(encoded, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
}

// Report writes what conversion did, document by document, with the input
// file's lines: for the operator's terminal (stderr), not for scripts.
func Report(w io.Writer, r *Result) error {
	var buf bytes.Buffer
	for _, d := range r.Converted {
		name := d.Name
		if d.Namespace != "" {
			name = d.Namespace + "/" + name
		}
		if d.From == api.APIVersionV1 {
			fmt.Fprintf(&buf, "%s:%d: %s %s: already %s; enum values in the API's spelling\n", r.Path, d.Line, d.Kind, name, api.APIVersionV1)
		} else {
			fmt.Fprintf(&buf, "%s:%d: %s %s: %s → %s\n", r.Path, d.Line, d.Kind, name, d.From, api.APIVersionV1)
		}
		for _, c := range d.Changes {
			if c.Path == "apiVersion" {
				continue // the line above says it
			}
			fmt.Fprintf(&buf, "  %s:%d: %s %s\n", r.Path, c.Line, c.Path, c.What)
		}
		for _, wn := range d.Warnings {
			fmt.Fprintf(&buf, "warning: %s:%d: %s\n", r.Path, wn.Line, wn.Msg)
		}
	}
	// File and resource names are the input's: escaped for the terminal.
	_, err := io.WriteString(w, ui.EscapeLines(buf.String()))
	return err
}

// split cuts data into chunks at document markers. YAML forbids "---" at
// the start of a line inside any scalar, so such a line always starts a
// document, and the chunks put back together are the input.
func split(data []byte) []chunk {
	var out []chunk
	cur := chunk{bodyLine: 1}
	line := 1
	for rest := data; len(rest) > 0; line++ {
		i := bytes.IndexByte(rest, '\n')
		l := rest
		if i >= 0 {
			l = rest[:i+1]
		}
		rest = rest[len(l):]
		if separator.Match(l) {
			if line > 1 {
				out = append(out, cur)
			}
			cur = chunk{sep: l, bodyLine: line + 1}
			continue
		}
		cur.body = append(cur.body, l...)
	}
	return append(out, cur)
}

// decodeAll returns the non-empty documents of a chunk. The whole file
// parsed already, so a chunk does too.
func decodeAll(body []byte) []*yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(body))
	var docs []*yaml.Node
	for {
		doc := &yaml.Node{}
		if err := dec.Decode(doc); err != nil {
			return docs
		}
		if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			docs = append(docs, doc)
		}
	}
}

// needsConversion returns the line of the first document that convert
// would change, or 0.
func needsConversion(docs []*yaml.Node) int {
	for _, doc := range docs {
		root := doc.Content[0]
		av, kind := scalar(root, "apiVersion"), scalar(root, "kind")
		if (kind == api.KindBrokerAuthentication || kind == api.KindBrokerListener) &&
			(av == api.APIVersionV1beta1 || av == api.APIVersion2023) {
			return root.Line
		}
	}
	return 0
}

// applyEdits makes the edits in the document's text, so that everything
// else (spacing, quoting, comments) stays byte for byte. It reports false
// when the text at an edit's position is not what the node says, and the
// document must be re-encoded instead.
func applyEdits(body []byte, edits []edit) ([]byte, bool) {
	var lineStart []int
	lineStart = append(lineStart, 0)
	for i, b := range body {
		if b == '\n' {
			lineStart = append(lineStart, i+1)
		}
	}
	type span struct {
		from, to int
		text     string
	}
	spans := make([]span, 0, len(edits))
	for _, e := range edits {
		if e.line < 1 || e.line > len(lineStart) {
			return nil, false
		}
		// yaml.v3 counts columns in characters.
		off := lineStart[e.line-1]
		for col := 1; col < e.column; col++ {
			if off >= len(body) || body[off] == '\n' {
				return nil, false
			}
			_, size := utf8.DecodeRune(body[off:])
			off += size
		}
		var quote string
		switch e.style {
		case 0:
		case yaml.DoubleQuotedStyle:
			quote = `"`
		case yaml.SingleQuotedStyle:
			quote = "'"
		default:
			return nil, false
		}
		old := quote + e.old + quote
		if !bytes.HasPrefix(body[off:], []byte(old)) {
			return nil, false
		}
		spans = append(spans, span{from: off, to: off + len(old), text: quote + e.new + quote})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from > spans[j].from })
	out := append([]byte(nil), body...)
	for i, sp := range spans {
		if i > 0 && sp.to > spans[i-1].from {
			return nil, false
		}
		out = append(out[:sp.from], append([]byte(sp.text), out[sp.to:]...)...)
	}
	return out, true
}

// encode writes a converted document in the style of the original: JSON
// stays JSON; YAML keeps its indentation and sequence style.
func encode(doc *yaml.Node, original []byte) ([]byte, error) {
	if t := bytes.TrimSpace(original); len(t) > 0 && t[0] == '{' {
		var buf bytes.Buffer
		manifest.WriteJSON(&buf, doc.Content[0])
		buf.WriteByte('\n')
		return buf.Bytes(), nil
	}
	indent, compact := detectIndent(doc.Content[0])
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(indent)
	if compact {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// detectIndent finds the indentation of the first nested block mapping and
// whether block sequences sit at their key's column ("compact", as kubectl
// writes them) or are indented.
func detectIndent(root *yaml.Node) (indent int, compact bool) {
	indent, compact = 0, true
	seqSeen := false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Style&yaml.FlowStyle != 0 {
					continue
				}
				if indent == 0 && v.Kind == yaml.MappingNode && len(v.Content) > 0 && v.Content[0].Column > k.Column {
					indent = v.Content[0].Column - k.Column
				}
				if !seqSeen && v.Kind == yaml.SequenceNode && len(v.Content) > 0 {
					seqSeen = true
					compact = v.Column == k.Column
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if indent < 2 || indent > 8 {
		indent = 2
	}
	return indent, compact
}

// converter converts one document.
type converter struct {
	file   string
	offset int // lines before the document's body in the file
	doc    *Document
	// edits are the renames and value changes, which can be made in the
	// text itself; structural is set by changes that cannot (a removed or
	// added field), for which the document is re-encoded.
	edits      []edit
	structural bool
}

// edit replaces the scalar at a node's position: a key or a value.
type edit struct {
	line, column int // of the node in the document body, 1-based
	style        yaml.Style
	old, new     string
}

// replace changes a scalar node's value, remembering the text edit.
func (c *converter) replace(n *yaml.Node, value string) {
	c.edits = append(c.edits, edit{line: n.Line, column: n.Column, style: n.Style, old: n.Value, new: value})
	n.Value = value
}

func (c *converter) line(n *yaml.Node) int {
	if n == nil || n.Line == 0 {
		return c.doc.Line
	}
	return c.offset + n.Line
}

func (c *converter) errorf(n *yaml.Node, format string, args ...any) error {
	return &Error{File: c.file, Line: c.line(n), Msg: fmt.Sprintf(format, args...)}
}

func (c *converter) change(n *yaml.Node, path, what string) {
	c.doc.Changes = append(c.doc.Changes, Change{Line: c.line(n), Path: path, What: what})
}

// document converts root if it is an older BrokerAuthentication or
// BrokerListener, and reports whether it changed anything.
func (c *converter) document(root *yaml.Node) (bool, error) {
	avKey, av := entry(root, "apiVersion")
	_, kind := entry(root, "kind")
	if av == nil || kind == nil || av.Kind != yaml.ScalarNode || kind.Kind != yaml.ScalarNode {
		return false, nil
	}
	c.doc.Kind = kind.Value
	c.doc.From = av.Value
	if _, md := entry(root, "metadata"); md != nil {
		c.doc.Name = scalar(md, "name")
		c.doc.Namespace = scalar(md, "namespace")
	}
	broker := kind.Value == api.KindBrokerAuthentication || kind.Value == api.KindBrokerListener
	changed := false
	switch {
	case kind.Value == api.KindBrokerAuthentication && (av.Value == api.APIVersionV1beta1 || av.Value == api.APIVersion2023):
		if av.Value == api.APIVersionV1beta1 {
			obj, _ := (&manifest.Document{Root: root}).Object()
			m, _ := obj.(map[string]any)
			if shape := api.PreviewShapeOf(m); shape.Kind() == api.ShapeMixed {
				return false, c.errorf(av, "%s", shape.MixedMessage())
			}
		}
		// The mid-2024 shape is renamed; the 2025 one has v1's names
		// (additionalValidation included), so only its apiVersion changes.
		c.setAPIVersion(avKey, av)
		if err := c.authentication(root); err != nil {
			return false, err
		}
		changed = true
	case kind.Value == api.KindBrokerListener && av.Value == api.APIVersionV1beta1:
		c.setAPIVersion(avKey, av)
		changed = true
	case kind.Value == api.KindBrokerListener && av.Value == api.APIVersion2023:
		return false, c.errorf(av, "the 2023 BrokerListener (%s) cannot be converted: its design differs (brokerRef, one port, authenticationEnabled); "+
			"write a v1 listener, e.g. with `kubectl aio-authn generate listener`, and delete this one", api.APIVersion2023)
	case !broker || av.Value != api.APIVersionV1:
		return false, nil
	}
	if c.canonicalSpellings(root, kind.Value) {
		changed = true
	}
	return changed, nil
}

// canonicalSpellings rewrites the enum values of a v1 document (converted or
// not) that are in another letter case than the API's, as generate writes
// them. It reports whether it changed any.
func (c *converter) canonicalSpellings(root *yaml.Node, kind string) bool {
	found := api.NoncanonicalSpellings(root, kind, api.EnumFields)
	for _, sp := range found {
		c.change(sp.Node, sp.Path, sp.Node.Value+" → "+sp.Canonical)
		c.replace(sp.Node, sp.Canonical)
	}
	return len(found) > 0
}

func (c *converter) setAPIVersion(key, av *yaml.Node) {
	c.change(key, "apiVersion", av.Value+" → "+api.APIVersionV1)
	c.replace(av, api.APIVersionV1)
}

func (c *converter) authentication(root *yaml.Node) error {
	specKey, spec := entry(root, "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		return c.errorf(specKey, "spec: expected a mapping with authenticationMethods")
	}
	for _, r := range api.Renames {
		if r.Where == api.InSpec {
			if err := c.field(spec, "spec", r, older...); err != nil {
				return err
			}
		}
	}
	mk, methods := entry(spec, "authenticationMethods")
	if methods == nil || methods.Kind != yaml.SequenceNode {
		return c.errorf(firstNonNil(mk, specKey), "spec.authenticationMethods: expected a list of methods")
	}
	for i, e := range methods.Content {
		path := fmt.Sprintf("spec.authenticationMethods[%d]", i)
		if e.Kind != yaml.MappingNode {
			return c.errorf(e, "%s: expected a mapping", path)
		}
		var err error
		if k, _ := entry(e, "method"); k != nil {
			err = c.methodEntry(e, path)
		} else {
			err = c.entry2023(e, path)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// older are the generations whose names conversion rewrites, oldest first.
var older = []api.Generation{api.Gen2023, api.GenMid2024}

// methodEntry converts an entry that has a method (the mid-2024 shape, or
// the v1 shape under an older apiVersion, for which it changes nothing).
func (c *converter) methodEntry(e *yaml.Node, path string) error {
	_, m := entry(e, "method")
	for _, r := range api.Renames {
		if r.Where != api.MethodValue || m.Kind != yaml.ScalarNode {
			continue
		}
		if old, v1Name := r.In(api.GenMid2024), r.In(api.GenV1); old != v1Name && strings.EqualFold(m.Value, old) {
			c.change(m, path+".method", m.Value+" → "+v1Name)
			c.replace(m, v1Name)
		}
	}
	for _, r := range api.Renames {
		if r.Where == api.InEntry {
			if err := c.field(e, path, r, api.GenMid2024); err != nil {
				return err
			}
		}
	}
	return c.settings(e, path)
}

// entry2023 converts a 2023 entry, one key per method, to a method and its
// settings block.
func (c *converter) entry2023(e *yaml.Node, path string) error {
	var found []string
	for _, k := range api.Gen2023.EntryKeys() {
		if key, _ := entry(e, k); key != nil {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		return c.errorf(e, "%s: %s", path, api.OneKey2023(found))
	}
	old := found[0]
	key, _ := entry(e, old)
	m, ok := api.Gen2023.BlockMethod(old)
	if !ok {
		for _, r := range api.Renames {
			if r.Where == api.InEntry && r.In(api.Gen2023) == old {
				return c.errorf(key, "%s.%s: %s", path, old, r.Note)
			}
		}
	}
	method := api.GenV1.MethodValue(m)
	if err := c.rename(e, path, old, api.GenV1.Block(m)); err != nil {
		return err
	}
	// The method goes first, taking over the comment above the entry.
	mk := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "method", HeadComment: e.Content[0].HeadComment, Style: e.Content[0].Style}
	e.Content[0].HeadComment = ""
	mv := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: method}
	e.Content = append([]*yaml.Node{mk, mv}, e.Content...)
	c.structural = true
	c.change(key, path, "method "+method+" added")
	return c.settings(e, path)
}

// rename renames key from to to in mapping m, refusing to create a
// duplicate.
func (c *converter) rename(m *yaml.Node, path, from, to string) error {
	k, _ := entry(m, from)
	if k == nil {
		return nil
	}
	if other, _ := entry(m, to); other != nil {
		return c.errorf(k, "%s has both %s and %s: keep one (%s is the v1 name)", path, from, to, to)
	}
	c.change(k, path+"."+from, "→ "+to)
	c.replace(k, to)
	return nil
}

// settings converts the inside of the settings blocks, already renamed:
// the names of any older generation, since manifests mix them.
func (c *converter) settings(e *yaml.Node, path string) error {
	for _, r := range api.Renames {
		if r.Where != api.InBlock {
			continue
		}
		p := path + "." + api.GenV1.Block(r.Method)
		_, m := entry(e, api.GenV1.Block(r.Method))
		if r.Path != "" {
			for _, k := range strings.Split(r.Path, ".") {
				_, m = entry(m, k)
			}
			p += "." + r.Path
		}
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		if err := c.field(m, p, r, older...); err != nil {
			return err
		}
	}
	return nil
}

// field converts the field r names in mapping m (at path) from the first of
// the generations from that has it there: renamed to v1's name, removed
// with a note when v1 has none, or refused.
func (c *converter) field(m *yaml.Node, path string, r *api.Rename, from ...api.Generation) error {
	v1Name := r.In(api.GenV1)
	for _, g := range from {
		old := r.In(g)
		if old == "" || old == v1Name {
			continue
		}
		k, v := entry(m, old)
		if k == nil {
			continue
		}
		switch {
		case v1Name != "":
			return c.rename(m, path, old, v1Name)
		case r.Refuse:
			return c.errorf(k, "%s.%s: %s", path, old, r.Note)
		}
		removeEntry(m, old)
		c.structural = true
		c.change(k, path+"."+old, "removed: "+r.Note)
		c.dropped(r, k, v)
		return nil
	}
	return nil
}

// dropped warns about what removing a field leaves the operator to do,
// where that depends on its value.
func (c *converter) dropped(r *api.Rename, k, v *yaml.Node) {
	switch r {
	case api.RenameListenerRef:
		var names []string
		if v.Kind == yaml.SequenceNode {
			for _, n := range v.Content {
				names = append(names, n.Value)
			}
		} else {
			names = append(names, v.Value)
		}
		c.doc.Warnings = append(c.doc.Warnings, Warning{Line: c.line(k), Msg: api.ListenerRefNote(c.doc.Name, names)})
	case api.RenameSecretNamespace:
		if v.Value == c.doc.Namespace {
			return
		}
		where := "its namespace"
		if c.doc.Namespace != "" {
			where = fmt.Sprintf("namespace %q", c.doc.Namespace)
		}
		c.doc.Warnings = append(c.doc.Warnings, Warning{Line: c.line(v), Msg: fmt.Sprintf(
			"the broker's client certificate Secret was in namespace %q; v1 reads it from the BrokerAuthentication's %s: copy the Secret there",
			v.Value, where)})
	}
}

// checkSchema warns when the converted document still fails the v1 schema,
// e.g. because the original had mistakes that conversion does not fix.
func (c *converter) checkSchema(root *yaml.Node) {
	obj, _ := (&manifest.Document{Root: root}).Object()
	m, ok := obj.(map[string]any)
	if !ok {
		return
	}
	res, err := lint.CheckSchema(m)
	if err != nil {
		return
	}
	if len(res.Errors) > 0 || len(res.Unknown) > 0 {
		first := ""
		if len(res.Errors) > 0 {
			first = res.Errors[0].Error()
		} else {
			first = "unknown field " + res.Unknown[0]
		}
		c.doc.Warnings = append(c.doc.Warnings, Warning{Line: c.doc.Line, Msg: fmt.Sprintf(
			"the converted %s still does not pass the v1 schema (%s); run kubectl aio-authn validate", c.doc.Kind, first)})
	}
}

// entry returns the key and value nodes of key in mapping m.
func entry(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func scalar(m *yaml.Node, key string) string {
	if _, v := entry(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// removeEntry deletes key from mapping m, handing its comment to the next
// key so that a comment above it is not lost with it.
func removeEntry(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		if hc := m.Content[i].HeadComment; hc != "" && i+2 < len(m.Content) {
			next := m.Content[i+2]
			if next.HeadComment != "" {
				hc += "\n" + next.HeadComment
			}
			next.HeadComment = hc
		}
		m.Content = append(m.Content[:i], m.Content[i+2:]...)
		return
	}
}

func firstNonNil(nodes ...*yaml.Node) *yaml.Node {
	for _, n := range nodes {
		if n != nil {
			return n
		}
	}
	return nil
}
