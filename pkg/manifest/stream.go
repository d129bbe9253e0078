package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
)

// Chunk is the text of one document of a YAML stream, as the Splitter cut
// it: its "---" line (if any), the document, and the comments before the
// next "---" or directive.
type Chunk struct {
	Data []byte
	// Line is the file line (from 1) of Data's first line.
	Line int
}

// Splitter cuts a YAML stream into one Chunk per document, reading it a line
// at a time, so that a file of any length is read with one document in
// memory. YAML forbids a "---" or "..." line inside any scalar or collection,
// so such a line is always a document boundary (kubectl splits its input the
// same way).
type Splitter struct {
	name string
	src  io.Reader
	r    *bufio.Reader
	max  input.Kind
	// line is the file line of the chunk being read.
	line int
	buf  []byte
	// pending is a line already read that starts the next chunk.
	pending     []byte
	havePending bool
	err         error
}

// NewSplitter reads the stream r, called name in errors. A document longer
// than doc.Max bytes is a *input.TooLargeError; when r is an
// *input.Opened, so is a stream that ends past its cap.
func NewSplitter(name string, r io.Reader, doc input.Kind) *Splitter {
	return &Splitter{name: name, src: r, r: bufio.NewReaderSize(r, bufferSize(r)), max: doc}
}

// bufferSize is 64 KiB, or less for a smaller input: most manifests are a
// few KiB, and a walk reads hundreds of them.
func bufferSize(r io.Reader) int {
	const most = 64 << 10
	switch r := r.(type) {
	case *input.Opened:
		if r.Size >= 0 && r.Size < most {
			return int(r.Size) + 1
		}
	case *bytes.Reader:
		if r.Len() < most {
			return r.Len() + 1
		}
	}
	return most
}

// marker kinds of a line at column 0.
const (
	lineContent = iota
	lineBlank   // blank or a comment
	lineStart   // "---", the start of a document
	lineEnd     // "...", the end of a document: what follows needs a "---"
	lineDirective
)

func classify(l []byte, first bool) int {
	if first {
		l = bytes.TrimPrefix(l, []byte("\ufeff"))
	}
	if len(l) >= 3 && (bytes.HasPrefix(l, []byte("---")) || bytes.HasPrefix(l, []byte("..."))) &&
		(len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r' || l[3] == '\n') {
		if l[0] == '-' {
			return lineStart
		}
		return lineEnd
	}
	if len(l) > 0 && l[0] == '%' {
		return lineDirective
	}
	t := bytes.TrimLeft(l, " \t\r\n")
	if len(t) == 0 || t[0] == '#' {
		return lineBlank
	}
	return lineContent
}

// Next returns the next chunk, or io.EOF after the last.
func (s *Splitter) Next() (Chunk, error) {
	if s.err != nil {
		return Chunk{}, s.err
	}
	if s.line == 0 {
		s.line = 1
	}
	s.buf = s.buf[:0]
	// body says whether the chunk holds more than comments, blank lines
	// and directives: a "---" after that starts the next document.
	body, ended := false, false
	if s.havePending {
		s.buf = append(s.buf, s.pending...)
		s.havePending = false
		body = classify(s.pending, false) != lineDirective
	}
	for {
		start := len(s.buf)
		more, err := s.readLine()
		if err != nil {
			s.err = err
			return Chunk{}, err
		}
		if !more {
			break
		}
		l := s.buf[start:]
		kind := classify(l, s.line == 1 && start == 0)
		if kind == lineDirective && !ended && body {
			// Only after "..." can a directive follow a document; anywhere
			// else a "%" line continues a plain scalar.
			kind = lineContent
		}
		switch kind {
		case lineStart, lineDirective:
			if body {
				s.pending = append(s.pending[:0], l...)
				s.havePending = true
				s.buf = s.buf[:start]
				return s.chunk(), nil
			}
			body = kind == lineStart
		case lineEnd:
			body, ended = true, true
		case lineContent:
			body, ended = true, false
		}
	}
	s.err = io.EOF
	if len(s.buf) == 0 {
		return Chunk{}, io.EOF
	}
	return s.chunk(), nil
}

// chunk hands out a copy of the buffer, exactly its size (the buffer is
// reused for the next chunk), and moves the line count past it.
func (s *Splitter) chunk() Chunk {
	c := Chunk{Data: bytes.Clone(s.buf), Line: s.line}
	s.line += lineBreaks(c.Data)
	return c
}

// lineBreaks counts lines the way YAML does, so that positions match a
// parse of the whole stream: a lone CR, NEL, LS and PS end a line too.
func lineBreaks(data []byte) int {
	n := bytes.Count(data, []byte("\n"))
	if bytes.IndexByte(data, '\r') >= 0 {
		n += bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n"))
	}
	if bytes.IndexByte(data, 0xc2) >= 0 || bytes.IndexByte(data, 0xe2) >= 0 {
		for _, b := range []string{"\u0085", "\u2028", "\u2029"} {
			n += bytes.Count(data, []byte(b))
		}
	}
	return n
}

// readLine appends the next line, with its newline, to s.buf; false at the
// end of the stream.
func (s *Splitter) readLine() (bool, error) {
	start := len(s.buf)
	for {
		part, err := s.r.ReadSlice('\n')
		s.buf = append(s.buf, part...)
		if int64(len(s.buf)) > s.max.Max {
			return false, &input.TooLargeError{Path: s.name, Kind: s.max,
				What: fmt.Sprintf("the document at line %d is larger than", s.line)}
		}
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if o, ok := s.src.(*input.Opened); ok && o.Over() {
				return false, o.Err()
			}
			if len(s.buf) > start {
				return true, nil
			}
			return false, nil
		default:
			return false, &input.Error{Path: s.name, Err: err}
		}
	}
}

// Limits bound what a reader of manifests accepts of one input.
type Limits struct {
	// File caps one file or standard input: input.Manifest by default.
	File input.Kind
	// Document caps one document's text, and its size with aliases
	// expanded: input.Document by default.
	Document input.Kind
}

// DefaultLimits are the caps when the user raises none.
func DefaultLimits() Limits { return Limits{File: input.Manifest, Document: input.Document} }

// OrDefault fills the caps l leaves unset with the defaults.
func (l Limits) OrDefault() Limits {
	if l.File.Max <= 0 {
		l.File = input.Manifest
	}
	if l.Document.Max <= 0 {
		l.Document = input.Document
	}
	return l
}

// ParseChunk parses the documents of a chunk (usually one; none for a chunk
// of comments) with positions relative to the file, numbering them from
// index. Documents whose aliases expand past doc (in values or bytes) carry
// an AliasProblem. A syntax error is returned with the documents before it.
// The common subset of YAML is read by fastDocument, the rest by yaml.v3;
// both build the same trees.
func ParseChunk(name string, c Chunk, index int, doc input.Kind) ([]*Document, *SyntaxError) {
	var docs []*Document
	offset := c.Line - 1
	add := func(n *yaml.Node) {
		if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
			return
		}
		root := n.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			return
		}
		if offset > 0 {
			shiftLines(root, offset, 0)
		}
		d := newDocument(name, index+len(docs), root)
		d.checkAliases(doc)
		docs = append(docs, d)
	}
	if !yamlv3Only.Load() {
		if n, ok := fastDocument(c.Data); ok {
			add(n)
			return docs, nil
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(c.Data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			se := syntaxError(name, c.Data, err)
			se.Line += offset
			return docs, se
		}
		add(&n)
	}
}

// shiftLines moves the positions of a chunk's nodes to the file's lines.
// Aliases are not followed: the node they stand for is in the tree once.
func shiftLines(n *yaml.Node, offset, depth int) {
	if depth > maxDepth {
		return
	}
	n.Line += offset
	for _, c := range n.Content {
		shiftLines(c, offset, depth+1)
	}
}

// Stream reads the documents of one input one at a time, for readers that
// keep only some of them (explain keeps the resources it needs).
type Stream struct {
	name  string
	sp    *Splitter
	limit input.Kind
	index int
	queue []*Document
	err   error
}

// NewStream reads r (called name) with the Document limit of lim.
func NewStream(name string, r io.Reader, lim Limits) *Stream {
	lim = lim.OrDefault()
	return &Stream{name: name, sp: NewSplitter(name, r, lim.Document), limit: lim.Document}
}

// Next returns the next document; io.EOF at the end, a *SyntaxError at
// broken YAML (the documents before it were returned), or a read error.
func (s *Stream) Next() (*Document, error) {
	for len(s.queue) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		c, err := s.sp.Next()
		if err != nil {
			s.err = err
			continue
		}
		docs, serr := ParseChunk(s.name, c, s.index, s.limit)
		s.index += len(docs)
		s.queue = docs
		if serr != nil {
			s.err = serr
		}
	}
	d := s.queue[0]
	s.queue = s.queue[1:]
	return d, nil
}

// Check reads data a document at a time, keeping none, and returns the
// first problem that stops a reader needing every document whole (convert):
// a syntax error, a document longer than doc's cap, or one whose aliases
// expand past it (a *SyntaxError at its line).
func Check(name string, data []byte, doc input.Kind) error {
	s := NewStream(name, bytes.NewReader(data), Limits{Document: doc})
	for {
		d, err := s.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if p := d.AliasProblem(); p != nil {
			return &SyntaxError{File: name, Line: p.Pos.Line, Msg: p.Msg + ": write the repeated parts out, or use fewer nested aliases"}
		}
	}
}
