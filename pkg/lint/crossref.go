package lint

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// objectInfo is a ConfigMap or Secret among the inputs. Only its text is
// kept, not its YAML tree, which is several times larger: it is parsed again
// if an authn references it.
type objectInfo struct {
	hdr   docHeader
	ns    string
	line  int
	chunk manifest.Chunk
	// item is the document's position among the chunk's, Lists expanded.
	item  int
	limit input.Kind
}

// parsedChunk is a chunk of objects parsed again, Lists expanded.
type parsedChunk struct {
	docs []*manifest.Document
	src  *text
}

// chunkKey names a chunk: its file and the index of its first document.
type chunkKey struct {
	file  string
	index int
}

// document parses the object again, as it was when first read. chunks
// holds the chunks parsed so far: the objects of one List share a chunk,
// which would otherwise be parsed again for every reference to one of
// them (a kubectl get -o yaml List of thousands of ConfigMaps).
func (o *objectInfo) document(chunks map[chunkKey]parsedChunk) (*manifest.Document, *text) {
	k := chunkKey{o.hdr.file, o.hdr.index}
	p, ok := chunks[k]
	if !ok {
		docs, _ := manifest.ParseChunk(o.hdr.file, o.chunk, o.hdr.index, o.limit)
		p = parsedChunk{manifest.ExpandLists(docs), &text{first: o.chunk.Line, data: o.chunk.Data}}
		chunks[k] = p
	}
	d := p.docs[o.item]
	d.Index = o.hdr.index
	return d, p.src
}

func (o *objectInfo) resource() Resource {
	return Resource{File: o.hdr.file, Document: o.hdr.index, Line: o.line, Kind: o.hdr.kind, Name: o.hdr.name}
}

// inputIndex gathers, in input order, what every file yielded.
type inputIndex struct {
	authns    []*authnInfo
	listeners []*listenerInfo
	objects   []*objectInfo
	broker    []Resource
	checked   []Resource
}

func (x *inputIndex) add(o *fileOutcome) {
	x.authns = append(x.authns, o.authns...)
	x.listeners = append(x.listeners, o.listeners...)
	x.objects = append(x.objects, o.objects...)
	x.broker = append(x.broker, o.resources...)
}

// resources returns the broker resources and the checked ConfigMaps and
// Secrets, in file then document order.
func (x *inputIndex) resources(fileOrder map[string]int) []Resource {
	out := append(append([]Resource(nil), x.broker...), x.checked...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return fileOrder[out[i].File] < fileOrder[out[j].File]
		}
		return out[i].Document < out[j].Document
	})
	return out
}

// sameNamespace reports whether two resources can see each other: an empty
// namespace is whatever namespace the inputs are applied to.
func sameNamespace(a, b string) bool { return a == "" || b == "" || a == b }

// crossCheck runs the rules that need every document: listener references,
// ports across listeners, and the ConfigMaps and Secrets authns reference.
type crossCheck struct {
	opts     *Options
	idx      *inputIndex
	findings []Finding

	// Indexes over the inputs, so that the rules cost a lookup per
	// reference rather than a pass over every document: authns and
	// objects by name, and per listener namespace what the hints need.
	authnsByName  map[string][]*authnInfo
	objectsByName map[[2]string][]*objectInfo
	nsNames       map[string]*nsAuthns
	bestAuthn     map[bestKey]*authnInfo
	// suggested are the typo suggestions for the dangling
	// authenticationRefs, by namespace and name.
	suggested map[[2]string]string
}

// nsAuthns are the names of the BrokerAuthentications a listener of one
// namespace can see, in input order, indexed for suggest, and the hint
// that lists them.
type nsAuthns struct {
	names []string
	index *nameIndex
	hint  string
}

type bestKey struct {
	ns  string
	tls bool
}

// docHeader is what a finding needs from a document, kept instead of the
// document so that its YAML tree can be freed once the file is checked.
type docHeader struct {
	file  string
	index int
	kind  string
	name  string
}

func headerOf(d *manifest.Document) docHeader {
	return docHeader{file: d.File, index: d.Index, kind: d.Kind, name: d.Name}
}

// add records a cross-reference finding.
func (x *crossCheck) add(h docHeader, pos manifest.Position, path, rule, msg, hint string) {
	r, _ := RuleByID(rule)
	x.findings = append(x.findings, Finding{
		File: h.file, Line: max(pos.Line, 1), Column: max(pos.Column, 1), Document: h.index,
		Kind: h.kind, Name: h.name, Field: intern(path), Severity: r.Severity, Rule: rule, Message: intern(msg), Hint: intern(hint),
	})
}

func (x *crossCheck) on(d *manifest.Document, src *text) *docCheck {
	return &docCheck{doc: d, opts: x.opts, src: src, gen: api.GenV1}
}

func (x *crossCheck) flush(c *docCheck) { x.findings = append(x.findings, c.findings...) }

func (x *crossCheck) run() {
	x.authnsByName = map[string][]*authnInfo{}
	for _, a := range x.idx.authns {
		x.authnsByName[a.name] = append(x.authnsByName[a.name], a)
	}
	x.objectsByName = map[[2]string][]*objectInfo{}
	for _, o := range x.idx.objects {
		k := [2]string{o.hdr.kind, o.hdr.name}
		x.objectsByName[k] = append(x.objectsByName[k], o)
	}
	x.nsNames = map[string]*nsAuthns{}
	x.bestAuthn = map[bestKey]*authnInfo{}
	x.suggestAbsent()
	x.listenerRefs()
	x.objectRefs()
}

func (x *crossCheck) listenerRefs() {
	type firstPort struct {
		l *listenerInfo
		p portInfo
	}
	ports := map[int64]firstPort{}
	for _, l := range x.idx.listeners {
		for _, p := range l.ports {
			if p.hasPort {
				if first, dup := ports[p.port]; dup && first.l != l && sameNamespace(first.l.ns, l.ns) {
					x.add(l.hdr, p.portPos, p.path+".port", RuleDuplicatePort,
						fmt.Sprintf("port %d is also used by listener %s (%s:%d)", p.port, first.l.name, first.l.hdr.file, first.p.portPos.Line),
						"ports are unique across all listeners of a broker; pick another port")
				} else if !dup {
					ports[p.port] = firstPort{l: l, p: p}
				}
			}
			if p.authRef == "" {
				x.noAuthn(l, p)
				continue
			}
			found := x.authnsFor(l, p)
			if len(found) == 0 {
				x.absentAuthn(l, p)
				continue
			}
			for _, a := range found {
				if a.x509 && !p.hasTLS {
					label := p.path
					if p.hasPort {
						label = fmt.Sprintf("port %d", p.port)
					}
					x.add(l.hdr, p.refPos, p.path+".authenticationRef", RuleListenerX509TLS,
						fmt.Sprintf("%s uses BrokerAuthentication %s, which has an X509 method, but the port has no tls: clients cannot present certificates", label, a.name),
						"add TLS to the port:\n"+indent(renderYAML(mapNode("tls", mapNode("mode", "Automatic"))), "  "))
					break
				}
			}
		}
	}
}

// noAuthn warns about a port without authenticationRef. The hint names a
// BrokerAuthentication the inputs hold in the listener's namespace
// ("default" first), so that following it does not make a dangling
// reference; with none there, the default AIO deploys.
func (x *crossCheck) noAuthn(l *listenerInfo, p portInfo) {
	label := p.path
	if p.hasPort {
		label = fmt.Sprintf("port %d", p.port)
	}
	best, known := x.bestAuthn[bestKey{l.ns, p.hasTLS}]
	if !known {
		best = x.bestFor(l.ns, p.hasTLS)
		x.bestAuthn[bestKey{l.ns, p.hasTLS}] = best
	}
	hint := mapNode("authenticationRef", "default")
	if best != nil {
		hint = mapNode("authenticationRef", best.name)
		if best.x509 && !p.hasTLS {
			hint = mapNode("authenticationRef", best.name, "tls", mapNode("mode", "Automatic"))
		}
	}
	x.add(l.hdr, p.portPos, p.path+".port", RuleNoAuthn,
		fmt.Sprintf("%s has no authenticationRef: authentication is disabled on it", label), renderYAML(hint))
}

// bestFor returns the BrokerAuthentication to name in the hint for a port
// of a listener in ns: "default", then one the port can serve (X.509 needs
// TLS), then any.
func (x *crossCheck) bestFor(ns string, tls bool) *authnInfo {
	var best *authnInfo
	rank := func(a *authnInfo) int {
		switch {
		case a.name == "default" && (tls || !a.x509):
			return 3
		case tls || !a.x509:
			return 2
		}
		return 1
	}
	for _, a := range x.idx.authns {
		if a.name != "" && sameNamespace(a.ns, ns) && (best == nil || rank(a) > rank(best)) {
			best = a
		}
	}
	return best
}

// absentAuthn reports a port's authenticationRef to a BrokerAuthentication
// the inputs do not hold. When they hold others of the listener's
// namespace, the name is likely a typo: an error with the closest one.
// When they hold none there, the authn is probably applied separately
// (AIO deploys "default"): a note, as for ConfigMaps.
func (x *crossCheck) absentAuthn(l *listenerInfo, p portInfo) {
	seen := x.namesFor(l.ns)
	path := p.path + ".authenticationRef"
	if len(seen.names) == 0 {
		x.add(l.hdr, p.refPos, path, RuleRefAbsent,
			fmt.Sprintf("BrokerAuthentication %s (authenticationRef) is not among the inputs", p.authRef),
			"not checked; add its manifest to the inputs to check it (AIO deploys the BrokerAuthentication default itself)")
		return
	}
	hint := seen.hint
	if s := x.suggested[[2]string{l.ns, p.authRef}]; s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	x.add(l.hdr, p.refPos, path, RuleAuthnRef,
		fmt.Sprintf("authenticationRef %q names no BrokerAuthentication in the inputs, which hold others in this namespace", p.authRef), hint)
}

// authnsFor returns the BrokerAuthentications a port's authenticationRef
// names in the listener's namespace.
func (x *crossCheck) authnsFor(l *listenerInfo, p portInfo) []*authnInfo {
	var found []*authnInfo
	for _, a := range x.authnsByName[p.authRef] {
		if sameNamespace(a.ns, l.ns) {
			found = append(found, a)
		}
	}
	return found
}

// namesFor returns the names of the BrokerAuthentications a listener of
// namespace ns can see.
func (x *crossCheck) namesFor(ns string) *nsAuthns {
	seen := x.nsNames[ns]
	if seen == nil {
		seen = &nsAuthns{}
		for _, a := range x.idx.authns {
			if a.name != "" && sameNamespace(a.ns, ns) {
				seen.names = append(seen.names, a.name)
			}
		}
		seen.index = newNameIndex(seen.names)
		// Built once: with thousands of names it is long, and copying
		// it for every dangling reference took most of this pass.
		seen.hint = "BrokerAuthentications of this namespace in the inputs: " + quoteList(seen.names)
		x.nsNames[ns] = seen
	}
	return seen
}

// suggestAbsent finds the typo suggestions absentAuthn gives, on every
// core: each is an edit-distance search over the namespace's names, and
// they come after the documents are checked, when the other cores would
// be idle.
func (x *crossCheck) suggestAbsent() {
	type ask struct {
		key   [2]string
		index *nameIndex
		found string
	}
	var asks []*ask
	x.suggested = map[[2]string]string{}
	for _, l := range x.idx.listeners {
		for _, p := range l.ports {
			key := [2]string{l.ns, p.authRef}
			if _, dup := x.suggested[key]; dup || p.authRef == "" || len(x.authnsFor(l, p)) > 0 {
				continue
			}
			x.suggested[key] = ""
			if seen := x.namesFor(l.ns); len(seen.names) > 0 {
				asks = append(asks, &ask{key: key, index: seen.index})
			}
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(asks)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(asks)); i = next.Add(1) - 1 {
				a := asks[i]
				a.found = a.index.suggest(a.key[1])
			}
		})
	}
	wg.Wait()
	for _, a := range asks {
		x.suggested[a.key] = a.found
	}
}

// objectRefs checks the ConfigMaps and Secrets the authns reference, or
// notes that they are not among the inputs.
func (x *crossCheck) objectRefs() {
	checked := map[*objectInfo]map[refRole]bool{}
	chunks := map[chunkKey]parsedChunk{}
	for _, a := range x.idx.authns {
		for _, e := range a.entries {
			for _, ref := range e.refs {
				obj := x.find(ref, a.ns)
				if obj == nil {
					how := ""
					if ref.defaulted {
						how = " (the default)"
					}
					hint := "not checked; add its manifest to the inputs to check it"
					if ref.role == roleClientCA {
						hint = "not checked; create it with `kubectl aio-authn ca import`, or add its manifest to the inputs to check it"
					}
					x.add(a.hdr, ref.pos, ref.path, RuleRefAbsent,
						fmt.Sprintf("%s %s%s (%s) is not among the inputs", ref.kind, ref.name, how, ref.role), hint)
					continue
				}
				if checked[obj] == nil {
					checked[obj] = map[refRole]bool{}
					x.idx.checked = append(x.idx.checked, obj.resource())
				}
				if checked[obj][ref.role] {
					continue
				}
				checked[obj][ref.role] = true
				oc := x.on(obj.document(chunks))
				if ref.kind == "ConfigMap" {
					oc.checkCABundle(ref.role)
				} else {
					oc.checkTLSSecret()
				}
				x.flush(oc)
			}
		}
	}
}

func (x *crossCheck) find(ref objectRef, ns string) *objectInfo {
	for _, o := range x.objectsByName[[2]string{ref.kind, ref.name}] {
		if sameNamespace(o.ns, ns) {
			return o
		}
	}
	return nil
}
