package manifest

import (
	"strings"
	"sync/atomic"

	yaml "go.yaml.in/yaml/v3"
)

// Nearly every manifest is block mappings and sequences of one-line
// scalars, and yaml.v3 spends most of validate's time building their node
// trees. fastDocument reads that common subset about twice as fast and
// builds exactly the tree yaml.v3 builds (every field of every node, which
// TestFastReaderAgreesWithYAMLv3 and FuzzFastReader check); anything outside
// the subset — comments, anchors, aliases, tags, flow mappings, block or
// multi-line scalars, escapes, tabs, CR, non-ASCII, empty values, markers
// after the first line, anything yaml.v3 would reject — makes it give up,
// and yaml.v3 reads the chunk as before. Giving up is always safe.

// YAMLReader names the reader of YAML documents.
type YAMLReader string

// The YAML readers.
const (
	// ReaderFast reads the common subset itself and leaves the rest to
	// yaml.v3 (the default).
	ReaderFast YAMLReader = "fast"
	// ReaderYAMLv3 leaves every document to yaml.v3, for comparisons.
	ReaderYAMLv3 YAMLReader = "yamlv3"
)

var yamlv3Only atomic.Bool

// SetYAMLReader chooses how documents are read from now on.
func SetYAMLReader(r YAMLReader) { yamlv3Only.Store(r == ReaderYAMLv3) }

// CurrentYAMLReader is the reader SetYAMLReader chose last.
func CurrentYAMLReader() YAMLReader {
	if yamlv3Only.Load() {
		return ReaderYAMLv3
	}
	return ReaderFast
}

const (
	// fastMaxDepth bounds the nesting the fast reader follows (yaml.v3
	// allows 10,000 levels; deeper documents go to yaml.v3).
	fastMaxDepth = 200
	// fastMaxKey keeps keys well within yaml.v3's 1024-character limit on
	// a key's distance to its ':'.
	fastMaxKey = 512
	// fastSlab is the number of nodes allocated together.
	fastSlab = 128
)

// fastByte marks the bytes the fast reader accepts: printable ASCII but
// '#' (comments), and the line feed.
var fastByte = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '#'
	}
	t['\n'] = true
	return t
}()

// fastReader is the state of one fastDocument call: the current line is
// src[start:end], line (from 1) of the chunk, its first non-space at
// start+indent.
type fastReader struct {
	src              string
	line             int
	start, end, next int
	indent           int
	eof, bad         bool
	depth            int
	slab             []yaml.Node
	// stack holds the children of the collections being read; ptrs is
	// the slab their Content slices are cut from, once complete.
	stack, ptrs []*yaml.Node
}

// fastDocument parses one chunk into the DocumentNode yaml.v3's Decoder
// returns for it, or reports false when the chunk is outside the subset or
// holds anything but one document.
func fastDocument(data []byte) (*yaml.Node, bool) {
	lines := 1
	for _, b := range data {
		if !fastByte[b] {
			return nil, false
		}
		if b == '\n' {
			lines++
		}
	}
	// Nodes come from slabs: at most two a line, and no more than a slab
	// at a time, so that a large chunk given up on costs little.
	most := min(2*lines+2, fastSlab)
	r := &fastReader{src: string(data), slab: make([]yaml.Node, most),
		stack: make([]*yaml.Node, 0, 32), ptrs: make([]*yaml.Node, most)}
	if !r.nextLine() {
		return nil, false
	}
	var doc *yaml.Node
	if r.indent == 0 && strings.TrimRight(r.src[r.start:r.end], " ") == "---" {
		if r.end-r.start != 3 {
			return nil, false
		}
		doc = r.node(yaml.DocumentNode, "", "", r.start)
		if !r.advance() {
			return nil, false
		}
	} else if r.marker() {
		return nil, false
	}
	pos := r.start + r.indent
	if r.key(pos) < 0 {
		// Only mappings are read; a sequence or scalar at the top is rare.
		return nil, false
	}
	root := r.mapping(r.indent, pos)
	if root == nil || !r.eof || r.bad {
		return nil, false
	}
	if doc == nil {
		// An implicit document starts where its first token does.
		doc = r.node(yaml.DocumentNode, "", "", 0)
		doc.Line, doc.Column = root.Line, root.Column
	}
	doc.Content = []*yaml.Node{root}
	return doc, true
}

// nextLine moves to the next line holding more than spaces; false at the
// end of the chunk.
func (r *fastReader) nextLine() bool {
	for r.next < len(r.src) {
		r.start = r.next
		r.line++
		if e := strings.IndexByte(r.src[r.start:], '\n'); e >= 0 {
			r.end, r.next = r.start+e, r.start+e+1
		} else {
			r.end, r.next = len(r.src), len(r.src)
		}
		i := r.start
		for i < r.end && r.src[i] == ' ' {
			i++
		}
		if i < r.end {
			r.indent = i - r.start
			return true
		}
	}
	r.eof = true
	return false
}

// marker reports a line that may be a document marker or a directive.
func (r *fastReader) marker() bool {
	if r.indent != 0 {
		return false
	}
	l := r.src[r.start:r.end]
	return strings.HasPrefix(l, "---") || strings.HasPrefix(l, "...") || l[0] == '%'
}

// advance is nextLine past the current line, which must not be a marker.
func (r *fastReader) advance() bool {
	if !r.nextLine() {
		return false
	}
	if r.marker() {
		r.bad = true
		r.eof = true
		return false
	}
	return true
}

func (r *fastReader) node(kind yaml.Kind, tag, value string, off int) *yaml.Node {
	if len(r.slab) == 0 {
		r.slab = make([]yaml.Node, fastSlab)
	}
	n := &r.slab[0]
	r.slab = r.slab[1:]
	n.Kind, n.Tag, n.Value = kind, tag, ownString(value)
	n.Line, n.Column = r.line, off-r.start+1
	return n
}

// content moves the children stacked from base on into a Content slice
// (nil when there are none, as yaml.v3 leaves it), cut from a slab with
// its capacity capped so that an append elsewhere cannot overwrite it.
func (r *fastReader) content(base int) []*yaml.Node {
	n := len(r.stack) - base
	if n == 0 {
		return nil
	}
	if len(r.ptrs) < n {
		r.ptrs = make([]*yaml.Node, max(n, fastSlab))
	}
	c := r.ptrs[:n:n]
	copy(c, r.stack[base:])
	r.ptrs = r.ptrs[n:]
	r.stack = r.stack[:base]
	return c
}

// indicator reports the bytes that cannot start a plain scalar the fast
// reader reads ('-', '?' and ':' can, before a non-space, but are left to
// yaml.v3).
func indicator(c byte) bool {
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ':
		return true
	}
	return false
}

// key returns the offset of the ':' that ends a plain key starting at p
// on the current line, -1 when the line holds no such key (a scalar or a
// flow sequence), or -2 when what is there is outside the subset.
func (r *fastReader) key(p int) int {
	if c := r.src[p]; indicator(c) {
		if c == '"' || c == '\'' || c == '[' {
			return -1
		}
		return -2
	}
	for i := p + 1; i < r.end; i++ {
		if r.src[i] == ':' && (i+1 == r.end || r.src[i+1] == ' ') {
			if r.src[i-1] == ' ' || i-p > fastMaxKey {
				return -2
			}
			return i
		}
	}
	return -1
}

// mapping reads a block mapping whose keys are at column col (from 0) of
// their lines, the first at offset pos of the current line.
func (r *fastReader) mapping(col, pos int) *yaml.Node {
	if r.depth++; r.depth > fastMaxDepth {
		return nil
	}
	m := r.node(yaml.MappingNode, "!!map", "", pos)
	base := len(r.stack)
	for {
		colon := r.key(pos)
		if colon < 0 {
			return nil
		}
		k := r.plain(pos, colon)
		if k == nil {
			return nil
		}
		v := r.value(col, colon+1)
		if v == nil {
			return nil
		}
		r.stack = append(r.stack, k, v)
		if r.eof || r.indent < col {
			r.depth--
			m.Content = r.content(base)
			return m
		}
		if r.indent > col {
			return nil
		}
		pos = r.start + col
	}
}

// value reads the value of a key of a mapping at column col, from offset
// after (past the ':') on.
func (r *fastReader) value(col, after int) *yaml.Node {
	p := after
	for p < r.end && r.src[p] == ' ' {
		p++
	}
	if p < r.end {
		return r.inline(p)
	}
	// Nothing on the line: a nested block collection must follow (an
	// empty value's position is yaml.v3's business).
	if !r.advance() {
		return nil
	}
	pos := r.start + r.indent
	switch {
	case r.indent > col && r.entry(pos):
		return r.sequence(r.indent)
	case r.indent > col:
		if r.key(pos) < 0 {
			return nil
		}
		return r.mapping(r.indent, pos)
	case r.indent == col && r.entry(pos):
		// A sequence may sit at its key's column.
		return r.sequence(col)
	}
	return nil
}

// entry reports a "- " (or a lone "-") at offset p.
func (r *fastReader) entry(p int) bool {
	return r.src[p] == '-' && (p+1 == r.end || r.src[p+1] == ' ')
}

// sequence reads a block sequence whose entries are at column col of the
// current and following lines.
func (r *fastReader) sequence(col int) *yaml.Node {
	if r.depth++; r.depth > fastMaxDepth {
		return nil
	}
	s := r.node(yaml.SequenceNode, "!!seq", "", r.start+col)
	base := len(r.stack)
	for r.entry(r.start + col) {
		p := r.start + col + 1
		for p < r.end && r.src[p] == ' ' {
			p++
		}
		if p == r.end || r.entry(p) {
			// An entry on the next lines, or a sequence in a sequence.
			return nil
		}
		var item *yaml.Node
		switch colon := r.key(p); {
		case colon >= 0:
			item = r.mapping(p-r.start, p)
		case colon == -1:
			item = r.inline(p)
		}
		if item == nil {
			return nil
		}
		r.stack = append(r.stack, item)
		if r.eof || r.indent < col {
			break
		}
		if r.indent > col {
			return nil
		}
	}
	r.depth--
	s.Content = r.content(base)
	return s
}

// inline reads the scalar or flow sequence from offset p to the end of the
// current line, and moves to the next line.
func (r *fastReader) inline(p int) *yaml.Node {
	var n *yaml.Node
	var end int
	switch c := r.src[p]; {
	case c == '"' || c == '\'':
		n, end = r.quoted(p)
	case c == '[':
		n, end = r.flow(p)
	case indicator(c):
		return nil
	default:
		e := r.end
		for r.src[e-1] == ' ' {
			e--
		}
		v := r.src[p:e]
		if v[len(v)-1] == ':' || strings.Contains(v, ": ") {
			return nil
		}
		n, end = r.plain(p, e), e
	}
	if n == nil {
		return nil
	}
	for ; end < r.end; end++ {
		if r.src[end] != ' ' {
			return nil
		}
	}
	r.advance()
	if r.bad {
		return nil
	}
	return n
}

// plain is the plain scalar src[p:e], tagged as yaml.v3 resolves it; nil
// when it is outside the subset.
func (r *fastReader) plain(p, e int) *yaml.Node {
	v := r.src[p:e]
	tag := plainTag(v)
	if tag == "" {
		return nil
	}
	return r.node(yaml.ScalarNode, tag, v, p)
}

// plainTag is the tag yaml.v3 resolves a plain scalar to, for the scalars
// whose tag is plain to see: strings that start with none of its hints,
// the null and bool spellings, and decimal integers; "" for the rest (a
// float, a timestamp, an octal, a signed number...), which the reader
// leaves to yaml.v3.
func plainTag(v string) string {
	switch c := v[0]; {
	case c >= '0' && c <= '9':
		if v == "0" {
			return "!!int"
		}
		if c == '0' || len(v) > 18 {
			return ""
		}
		for i := 1; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return ""
			}
		}
		return "!!int"
	case c == '+' || c == '-' || c == '.':
		return ""
	case strings.IndexByte("yYnNtTfFoO~<", c) >= 0:
		switch v {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return "!!bool"
		case "~", "null", "Null", "NULL":
			return "!!null"
		case "<<":
			return "!!merge"
		}
	}
	return "!!str"
}

// quoted reads a one-line quoted scalar without escapes at offset p, and
// returns it with the offset past its closing quote.
func (r *fastReader) quoted(p int) (*yaml.Node, int) {
	q := r.src[p]
	e := strings.IndexByte(r.src[p+1:r.end], q)
	if e < 0 {
		return nil, 0
	}
	e += p + 1
	v := r.src[p+1 : e]
	if e+1 < r.end && r.src[e+1] == q || q == '"' && strings.IndexByte(v, '\\') >= 0 {
		// '' in a single-quoted scalar, or an escape.
		return nil, 0
	}
	n := r.node(yaml.ScalarNode, "!!str", v, p)
	n.Style = yaml.SingleQuotedStyle
	if q == '"' {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n, e + 1
}

// flow reads a one-line flow sequence of scalars at offset p, and returns
// it with the offset past its ']'.
func (r *fastReader) flow(p int) (*yaml.Node, int) {
	s := r.node(yaml.SequenceNode, "!!seq", "", p)
	s.Style = yaml.FlowStyle
	base := len(r.stack)
	i := r.spaces(p + 1)
	if i < r.end && r.src[i] == ']' {
		return s, i + 1
	}
	for i < r.end {
		var item *yaml.Node
		if c := r.src[i]; c == '"' || c == '\'' {
			item, i = r.quoted(i)
		} else if !indicator(c) {
			j := i
			for j < r.end && strings.IndexByte(",[]{}:?", r.src[j]) < 0 {
				j++
			}
			e := j
			for r.src[e-1] == ' ' {
				e--
			}
			item, i = r.plain(i, e), j
		}
		if item == nil {
			return nil, 0
		}
		r.stack = append(r.stack, item)
		i = r.spaces(i)
		if i == r.end {
			return nil, 0
		}
		switch r.src[i] {
		case ']':
			s.Content = r.content(base)
			return s, i + 1
		case ',':
			i = r.spaces(i + 1)
			if i < r.end && r.src[i] == ']' {
				return nil, 0
			}
		default:
			return nil, 0
		}
	}
	return nil, 0
}

func (r *fastReader) spaces(i int) int {
	for i < r.end && r.src[i] == ' ' {
		i++
	}
	return i
}

// ownString returns s, a slice of the chunk's text, as a string of its own:
// a value outlives the parse (a finding's resource name, a cross-reference
// index), and as a slice it would keep the whole chunk's text alive with
// it, as yaml.v3's values, each allocated alone, do not. On a 200 MB
// manifest with ~900k findings that was 500 MB more at the peak. The keys
// and values that every document repeats are shared constants instead.
func ownString(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := commonStrings[s]; ok {
		return c
	}
	return strings.Clone(s)
}

// commonStrings are the keys and values of most broker documents.
var commonStrings = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "status",
		"mqttbroker.iotoperations.azure.com/v1", "mqttbroker.iotoperations.azure.com/v1beta1",
		"BrokerAuthentication", "BrokerListener", "azure-iot-operations", "default",
		"authenticationMethods", "method", "ServiceAccountToken", "serviceAccountTokenSettings", "audiences",
		"aio-internal", "X509", "x509Settings", "trustedClientCaCert", "authorizationAttributes", "attributes",
		"subject", "Custom", "customSettings", "endpoint", "auth", "x509", "secretRef", "caCertConfigMap", "headers",
		"brokerRef", "serviceName", "serviceType", "ports", "port", "protocol", "authenticationRef",
		"authorizationRef", "tls", "mode", "manual", "automatic", "certManagerCertificateSpec", "issuerRef",
		"group", "true", "false",
	} {
		m[s] = s
	}
	return m
}()
