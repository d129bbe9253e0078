package lint

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	openapierrors "k8s.io/kube-openapi/pkg/validation/errors"
)

// Fast accept, slow reject.
//
// check runs the API server's machinery on every document: ObjectMeta
// decoding, pruning, defaulting, the OpenAPI validator, list types and the
// CEL rules. Most documents are valid, and for them all that work says
// nothing. fastSchema is a predicate compiled once from the same structural
// schema: verdict accepts a document only when it can show that check would
// report nothing, and declines whenever it meets anything it does not model
// (a schema construct, a null, a float, an unusual metadata field, an
// unknown CEL rule). Then the machinery runs and writes the findings
// exactly as before, so findings are the machinery's by construction; what
// must hold is "accepted ⇒ check reports nothing", which the property test
// in fastschema_test.go checks on documents generated from the schemas.
//
// check also prunes and defaults the object in place; nothing after it in
// lint reads the object (the other rules read the YAML nodes), so
// a document the fast path decides on is left as it came.
//
// Fast reject. Most invalid documents have one or two common problems: an
// unknown field, a missing required field, a value that does not match its
// pattern, too few items, a failed x-kubernetes-validations rule, an
// invalid name. When the fast path finds only problems of those kinds, and
// everything else passes, it writes the issues check would: the pruned
// paths sorted as pruning sorts them, ObjectMeta's errors from the same
// function, the OpenAPI validator's error built by the same constructor and
// converted as ValidateCustomResource converts it, the rule's field.Error
// as the CEL validator builds it, in check's order, and no rule errors when
// an error would stop the rules. Anything else (a second schema or rule
// error, whose order follows map iteration; another schema error; a rule
// that cannot be evaluated) goes to the machinery. The
// property test checks that too: "verdict known ⇒ issues equal check's".

// SchemaEngine chooses how broker resources are checked against their CRD.
type SchemaEngine string

const (
	// EngineFast accepts valid documents with a predicate compiled from
	// the CRD schema and runs the API server's machinery on the rest. It
	// is the default.
	EngineFast SchemaEngine = "fast"
	// EngineAPIServer runs the API server's machinery on every document.
	EngineAPIServer SchemaEngine = "apiserver"
)

// maxFastItems bounds the lists the fast path accepts: the API server's
// CEL rules run under a cost budget, and long lists are where it could run
// out; the machinery decides about them.
const maxFastItems = 1000

// fastSchema is the predicate of one CRD version.
type fastSchema struct {
	root       *fastNode
	namespaced bool
}

// fastNode is one node of the schema, as the fast path models it.
type fastNode struct {
	// unsupported is set when the node has a construct the fast path does
	// not model: a document that reaches it goes to the machinery.
	unsupported bool
	typ         string
	props       map[string]*fastNode
	additional  *fastNode
	items       *fastNode
	required    []string
	// defaulted are the properties with a default, which the server fills
	// in when they are missing; def is this node's default, and defaultOK
	// says that the default itself passes the fast path.
	defaulted []string
	def       any
	defaultOK bool

	minLength, maxLength, minItems, maxItems *int64
	minimum, maximum                         *float64
	pattern                                  *regexp.Regexp
	enum                                     []string
	listMapKeys                              []string
	rules                                    []fastRule
	// ruleMsgs are the rules' messages as the CEL validator writes them
	// when a rule fails, "" for a rule whose failure the fast path does
	// not describe (no message, a reason, a fieldPath or a
	// messageExpression).
	ruleMsgs []string
}

// fastRule is an x-kubernetes-validations rule written in Go: it reports
// whether the rule holds for obj, the (defaulted) value of node n, fails,
// or cannot be evaluated (a CEL error, which the machinery reports).
type fastRule func(m *fastMeta, obj map[string]any, n *fastNode) ruleResult

type ruleResult int

const (
	ruleHolds ruleResult = iota
	ruleFails
	ruleError
)

func holdsIf(ok bool) ruleResult {
	if ok {
		return ruleHolds
	}
	return ruleFails
}

// fastMeta is what the root rules see of the metadata.
type fastMeta struct {
	name string
}

// compileFast compiles s. Any construct not modelled marks its node
// unsupported rather than failing: the rest of the schema keeps its fast
// path.
func compileFast(s *structuralschema.Structural, namespaced bool) *fastSchema {
	root := compileNode(s)
	// At the root, metadata is checked by ObjectMeta's rules, not the
	// schema: its schema must say no more than "an object".
	if md, ok := s.Properties["metadata"]; !ok || !justAnObject(compileNode(&md)) {
		root.unsupported = true
	}
	f := &fastSchema{root: root, namespaced: namespaced}
	f.checkDefaults(root)
	return f
}

func justAnObject(n *fastNode) bool {
	return !n.unsupported && n.typ == "object" && n.props == nil && n.additional == nil && n.required == nil &&
		n.def == nil && n.rules == nil && n.minItems == nil && n.maxItems == nil && n.minLength == nil &&
		n.maxLength == nil && n.minimum == nil && n.maximum == nil && n.pattern == nil && n.enum == nil
}

func compileNode(s *structuralschema.Structural) *fastNode {
	n := &fastNode{typ: s.Type}
	if s.Nullable || s.XPreserveUnknownFields || s.XEmbeddedResource || s.XIntOrString ||
		(s.XListType != nil && *s.XListType != "atomic" && *s.XListType != "map") {
		n.unsupported = true
	}
	switch s.Type {
	case "object", "array", "string", "integer", "boolean":
	default:
		n.unsupported = true
	}
	if s.XListType != nil && *s.XListType == "map" {
		n.listMapKeys = s.XListMapKeys
	}
	if s.Default.Object != nil {
		n.def = s.Default.Object
	}
	if vv := s.ValueValidation; vv != nil {
		if vv.ExclusiveMaximum || vv.ExclusiveMinimum || vv.UniqueItems || vv.MultipleOf != nil ||
			vv.MaxProperties != nil || vv.MinProperties != nil || len(vv.AllOf) > 0 || len(vv.OneOf) > 0 ||
			len(vv.AnyOf) > 0 || vv.Not != nil {
			n.unsupported = true
		}
		switch {
		case vv.Format == "":
		case s.Type == "integer" && (vv.Format == "int32" || vv.Format == "int64"):
			// The OpenAPI validator checks no range for integer formats.
		default:
			n.unsupported = true
		}
		if vv.Pattern != "" {
			re, err := regexp.Compile(vv.Pattern)
			if err != nil {
				n.unsupported = true
			}
			n.pattern = re
		}
		for _, e := range vv.Enum {
			s, ok := e.Object.(string)
			if !ok {
				n.unsupported = true
			}
			n.enum = append(n.enum, s)
		}
		n.minLength, n.maxLength, n.minItems, n.maxItems = vv.MinLength, vv.MaxLength, vv.MinItems, vv.MaxItems
		n.minimum, n.maximum = vv.Minimum, vv.Maximum
		n.required = vv.Required
	}
	for _, r := range s.XValidations {
		rule := fastRuleFor(r.Rule)
		if rule == nil || r.OptionalOldSelf != nil {
			n.unsupported = true
			continue
		}
		n.rules = append(n.rules, rule)
		msg := ""
		if r.FieldPath == "" && r.MessageExpression == "" && (r.Reason == nil || *r.Reason == apiextensionsv1.FieldValueInvalid) {
			// As the CEL validator's ruleMessageOrDefault writes a
			// message; a rule without one is left to the machinery.
			msg = strings.TrimSpace(r.Message)
		}
		n.ruleMsgs = append(n.ruleMsgs, msg)
	}
	if len(s.Properties) > 0 {
		n.props = make(map[string]*fastNode, len(s.Properties))
		for k, p := range s.Properties {
			n.props[k] = compileNode(&p)
			if p.Default.Object != nil {
				n.defaulted = append(n.defaulted, k)
			}
		}
	}
	if ap := s.AdditionalProperties; ap != nil {
		if ap.Structural == nil {
			n.unsupported = true
		} else {
			n.additional = compileNode(ap.Structural)
		}
	}
	if s.Items != nil {
		n.items = compileNode(s.Items)
	}
	return n
}

// checkDefaults sets defaultOK: the server validates the defaults it fills
// in, so a missing field is fine only when its default passes.
func (f *fastSchema) checkDefaults(n *fastNode) {
	if n == nil {
		return
	}
	if n.def != nil {
		n.defaultOK = f.value(&fastRun{meta: &fastMeta{}}, n.def, n)
	}
	for _, p := range n.props {
		f.checkDefaults(p)
	}
	f.checkDefaults(n.additional)
	f.checkDefaults(n.items)
}

// fastRun is one walk of a document by the fast path.
type fastRun struct {
	meta *fastMeta
	// describe is set when the walk goes past the problems it can
	// describe as check would, recording them, rather than stopping at
	// the first problem.
	describe bool
	// path is where the walk is, kept only when describing.
	path    []fastStep
	unknown []string
	metaErr field.ErrorList
	// schemaErr are the OpenAPI validator's errors.
	schemaErr field.ErrorList
	rule      []serverIssue
}

// fastStep is one step of a path: a property, a key of an
// additionalProperties map, or a list index.
type fastStep struct {
	key   string
	index int
	isKey bool
}

func (r *fastRun) push(s fastStep) {
	if r.describe {
		r.path = append(r.path, s)
	}
}

func (r *fastRun) pop() {
	if r.describe {
		r.path = r.path[:len(r.path)-1]
	}
}

// name is the path where the walk is as pruning and the OpenAPI validator
// write it: keys joined by dots, indexes in brackets.
func (r *fastRun) name() string {
	var b strings.Builder
	for _, s := range r.path {
		if s.key == "" {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// childName is the name of field key where the walk is.
func (r *fastRun) childName(key string) string {
	if n := r.name(); n != "" {
		return n + "." + key
	}
	return key
}

// schemaError records, when describing, an error of the OpenAPI validator
// as ValidateCustomResource converts it (kubeOpenAPIResultToFieldErrors):
// a missing required field, or an invalid value with the validator's
// message.
func (r *fastRun) schemaError(e *openapierrors.Validation) bool {
	if !r.describe {
		return false
	}
	if e.Code() == openapierrors.RequiredFailCode {
		r.schemaErr = append(r.schemaErr, field.Required(field.NewPath(e.Name), ""))
	} else {
		r.schemaErr = append(r.schemaErr, field.Invalid(field.NewPath(e.Name), e.Value, e.Error()))
	}
	return true
}

// fieldPath is the path where the walk is as the CEL validator builds it;
// false under a key of an additionalProperties map, which no rule of the
// embedded CRDs is, and so which the fast path leaves to the machinery.
func (r *fastRun) fieldPath() (*field.Path, bool) {
	var p *field.Path
	for _, s := range r.path {
		switch {
		case s.key == "":
			p = p.Index(s.index)
		case s.isKey:
			return nil, false
		default:
			p = p.Child(s.key)
		}
	}
	return p, true
}

// unknownField records an unknown field when describing.
func (r *fastRun) unknownField(k string) bool {
	if r.describe {
		r.unknown = append(r.unknown, r.childName(k))
	}
	return r.describe
}

// verdict returns, when known is true, exactly the issues check would
// return for obj (none for a valid document); known false means "run the
// machinery". A valid document costs one walk, which stops at the first
// problem; only a document with one is walked again, describing.
func (f *fastSchema) verdict(obj map[string]any) (issues []serverIssue, known bool) {
	if f == nil || f.root.unsupported {
		return nil, false
	}
	if f.walk(&fastRun{}, obj) {
		return nil, true
	}
	r := &fastRun{describe: true}
	if !f.walk(r, obj) {
		return nil, false
	}
	// In check's order: pruning's unknown fields (sorted), the errors of
	// validation (ObjectMeta's, then the OpenAPI validator's, of which
	// there may be one: several come in map order), the rules' unless
	// those errors stop them.
	if len(r.schemaErr) > 1 {
		return nil, false
	}
	sort.Strings(r.unknown)
	for _, p := range r.unknown {
		issues = append(issues, serverIssue{kind: issueUnknown, path: p})
	}
	errs := append(r.metaErr, r.schemaErr...)
	for _, e := range errs {
		issues = append(issues, serverIssue{kind: issueField, path: fieldString(e.Field), err: e})
	}
	if !blocksCEL(errs) {
		if len(r.rule) > 1 {
			return nil, false
		}
		issues = append(issues, r.rule...)
	}
	return issues, len(issues) > 0
}

// walk checks obj, the whole document.
func (f *fastSchema) walk(r *fastRun, obj map[string]any) bool {
	m, ok := f.metadata(r, obj["metadata"])
	if !ok {
		return false
	}
	r.meta = m
	for k, v := range obj {
		if k == "metadata" {
			continue
		}
		p := f.root.props[k]
		if p == nil {
			// At the root, pruning keeps apiVersion and kind whatever
			// the schema says: not modelled.
			if k == "apiVersion" || k == "kind" || !r.unknownField(k) {
				return false
			}
			continue
		}
		r.push(fastStep{key: k})
		ok := f.value(r, v, p)
		r.pop()
		if !ok {
			return false
		}
	}
	return f.object(r, obj, f.root)
}

// metadata checks what the server does with metadata: decoding it into
// ObjectMeta (only name, generateName, namespace, labels and annotations
// are modelled; anything else goes to the machinery), filling in the
// request namespace and a generated name, and ObjectMeta's validation,
// with the same apimachinery function. Its errors are described, except
// those of labels and annotations, which it finds in map order.
func (f *fastSchema) metadata(r *fastRun, v any) (*fastMeta, bool) {
	md, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	var om metav1.ObjectMeta
	for k, v := range md {
		switch k {
		case "name", "generateName", "namespace":
			s, ok := v.(string)
			if !ok {
				return nil, false
			}
			switch k {
			case "name":
				om.Name = s
			case "generateName":
				om.GenerateName = s
			default:
				om.Namespace = s
			}
		case "labels", "annotations":
			sm, ok := stringMap(v)
			if !ok {
				return nil, false
			}
			if k == "labels" {
				om.Labels = sm
			} else {
				om.Annotations = sm
			}
		default:
			return nil, false
		}
	}
	if f.namespaced && om.Namespace == "" {
		om.Namespace = requestNamespace
	}
	if om.Name == "" && om.GenerateName != "" {
		om.Name = om.GenerateName + generatedSuffix
	}
	if errs := metavalidation.ValidateObjectMetaAccessor(&om, f.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata")); len(errs) > 0 {
		if !r.describe {
			return nil, false
		}
		for _, e := range errs {
			if strings.HasPrefix(e.Field, "metadata.labels") || strings.HasPrefix(e.Field, "metadata.annotations") {
				return nil, false
			}
		}
		r.metaErr = errs
	}
	return &fastMeta{name: om.Name}, true
}

func stringMap(v any) (map[string]string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out[k] = s
	}
	return out, true
}

// value checks v against n and everything under it.
func (f *fastSchema) value(r *fastRun, v any, n *fastNode) bool {
	if n.unsupported {
		return false
	}
	switch n.typ {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range obj {
			step := fastStep{key: k}
			p := n.props[k]
			if p == nil {
				p, step.isKey = n.additional, true
			}
			if p == nil {
				if !r.unknownField(k) {
					return false
				}
				continue
			}
			r.push(step)
			ok := f.value(r, v, p)
			r.pop()
			if !ok {
				return false
			}
		}
		return f.object(r, obj, n)
	case "array":
		l, ok := v.([]any)
		if !ok || len(l) > maxFastItems || !withinInt(int64(len(l)), nil, n.maxItems) {
			return false
		}
		if size := int64(len(l)); !withinInt(size, n.minItems, nil) && !r.schemaError(openapierrors.TooFewItems(r.name(), "body", *n.minItems, size)) {
			return false
		}
		if n.items == nil {
			return false
		}
		for i, it := range l {
			r.push(fastStep{index: i})
			ok := f.value(r, it, n.items)
			r.pop()
			if !ok {
				return false
			}
		}
		return f.listMap(l, n)
	case "string":
		s, ok := v.(string)
		if !ok {
			return false
		}
		if (n.minLength != nil || n.maxLength != nil) && !withinInt(int64(utf8.RuneCountInString(s)), n.minLength, n.maxLength) {
			return false
		}
		if n.enum != nil && !slices.Contains(n.enum, s) {
			return false
		}
		// The validator checks the pattern after the lengths, and
		// stops at the first of them that fails.
		if n.pattern != nil && !n.pattern.MatchString(s) {
			return r.schemaError(openapierrors.FailedPattern(r.name(), "body", n.pattern.String(), s))
		}
		return true
	case "integer":
		i, ok := v.(int64)
		// Past 2^53 the validator's float comparisons are not exact.
		if !ok || i > 1<<53 || i < -(1<<53) {
			return false
		}
		return (n.minimum == nil || float64(i) >= *n.minimum) && (n.maximum == nil || float64(i) <= *n.maximum)
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return false
}

// object checks what the children do not: required fields, defaults, and
// the node's rules, on the object as the server sees it after defaulting.
func (f *fastSchema) object(r *fastRun, obj map[string]any, n *fastNode) bool {
	for _, k := range n.defaulted {
		if _, ok := obj[k]; !ok && !n.props[k].defaultOK {
			return false
		}
	}
	for _, k := range n.required {
		if n.props[k] == nil {
			return false
		}
		if _, ok := obj[k]; !ok && n.props[k].def == nil && !r.schemaError(openapierrors.Required(r.childName(k), "body")) {
			return false
		}
	}
	for i, rule := range n.rules {
		switch rule(r.meta, obj, n) {
		case ruleHolds:
		case ruleFails:
			path, ok := r.fieldPath()
			if !r.describe || n.ruleMsgs[i] == "" || !ok {
				return false
			}
			// As the CEL validator writes a failed rule: the value is
			// the schema's type.
			err := field.Invalid(path, n.typ, n.ruleMsgs[i])
			r.rule = append(r.rule, serverIssue{kind: issueCEL, path: fieldString(err.Field), err: err})
		default:
			return false
		}
	}
	return true
}

// listMap checks that the items of an x-kubernetes-list-type: map list are
// unique by their keys; an item without a key, or a key that is not a
// string or an integer, goes to the machinery.
func (f *fastSchema) listMap(l []any, n *fastNode) bool {
	if len(n.listMapKeys) != 1 || len(l) < 2 {
		return len(n.listMapKeys) <= 1
	}
	key := n.listMapKeys[0]
	seen := make(map[any]bool, len(l))
	for _, it := range l {
		k, ok := it.(map[string]any)[key]
		switch k.(type) {
		case string, int64:
		default:
			return false
		}
		if !ok || seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

func withinInt(v int64, lo, hi *int64) bool {
	return (lo == nil || v >= *lo) && (hi == nil || v <= *hi)
}

// field returns obj[k] as the server's CEL rules see it: defaulted.
func (n *fastNode) field(obj map[string]any, k string) (any, bool) {
	if v, ok := obj[k]; ok {
		return v, true
	}
	if p := n.props[k]; p != nil && p.def != nil {
		return p.def, true
	}
	return nil, false
}

// The rules of the embedded CRDs, recognised by their exact text. A rule
// not recognised here marks its node unsupported, so that documents
// reaching it are checked by the real CEL program. The expressions are
// compiled when a schema is first built, not at every start.
const (
	// rootNameRule is the CRDs' rule on metadata.name.
	rootNameRule = "self.metadata.name.size() >= 3 && self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9][a-z0-9-]*[a-z0-9]$')"
	// implies: "the lowercased selector names a block, which must be
	// present": `self.mode.lowerAscii() != 'manual' || has(self.manual)`.
	impliesRule = `^self\.([A-Za-z_][A-Za-z0-9_]*)\.lowerAscii\(\) != '([a-z0-9]+)' \|\| has\(self\.([A-Za-z_][A-Za-z0-9_]*)\)$`
	// the same over several values:
	// `[self.method.lowerAscii()].all(m, (m != 'custom' || has(self.customSettings)) && ...)`.
	impliesAllRule = `^\[self\.([A-Za-z_][A-Za-z0-9_]*)\.lowerAscii\(\)\]\.all\(m, ((?:\(m != '[a-z0-9]+' \|\| has\(self\.[A-Za-z_][A-Za-z0-9_]*\)\)(?: && )?)+)\)$`
	impliesAllTerm = `\(m != '([a-z0-9]+)' \|\| has\(self\.([A-Za-z_][A-Za-z0-9_]*)\)\)( && )?`
)

var ruleExprs = sync.OnceValue(func() (x struct{ rootName, implies, impliesAll, impliesAllTerm *regexp.Regexp }) {
	x.rootName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)
	x.implies = regexp.MustCompile(impliesRule)
	x.impliesAll = regexp.MustCompile(impliesAllRule)
	x.impliesAllTerm = regexp.MustCompile(impliesAllTerm)
	return x
})

// fastRuleFor returns the Go form of a CEL rule, or nil.
func fastRuleFor(rule string) fastRule {
	re := ruleExprs()
	if rule == rootNameRule {
		return func(m *fastMeta, _ map[string]any, _ *fastNode) ruleResult {
			size := utf8.RuneCountInString(m.name)
			return holdsIf(size >= 3 && size <= 63 && re.rootName.MatchString(m.name))
		}
	}
	if g := re.implies.FindStringSubmatch(rule); g != nil {
		return implies(g[1], map[string]string{g[2]: g[3]})
	}
	if g := re.impliesAll.FindStringSubmatch(rule); g != nil {
		terms := re.impliesAllTerm.FindAllStringSubmatch(g[2], -1)
		// Every term but the last is followed by " && ", the last by
		// nothing: otherwise the text is not the conjunction it looks like.
		need := map[string]string{}
		for i, t := range terms {
			if (t[3] == "") != (i == len(terms)-1) {
				return nil
			}
			if _, dup := need[t[1]]; dup {
				return nil
			}
			need[t[1]] = t[2]
		}
		return implies(g[1], need)
	}
	return nil
}

// implies is the rule "when lowerAscii(self.selector) is one of need's
// keys, the field it names is present". A missing or non-string selector
// is a CEL error in the server: the machinery reports it.
func implies(selector string, need map[string]string) fastRule {
	return func(_ *fastMeta, obj map[string]any, n *fastNode) ruleResult {
		v, ok := n.field(obj, selector)
		s, isString := v.(string)
		if !ok || !isString {
			return ruleError
		}
		block, named := need[lowerASCII(s)]
		if !named {
			return ruleHolds
		}
		_, present := n.field(obj, block)
		return holdsIf(present)
	}
}

// lowerASCII is CEL's lowerAscii: only ASCII letters change.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
