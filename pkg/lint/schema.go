package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/crds"
)

// crdVersion is one served version of one CRD, with the validators the API
// server builds for it. They are built on first use (most runs touch one or
// two versions, and CEL compilation is the slowest part of startup; a run
// whose documents the fast path accepts compiles no CEL at all) and then
// shared by every worker: the API server uses the same objects concurrently.
type crdVersion struct {
	gvk        schema.GroupVersionKind
	namespaced bool
	// served is false for the mid-2024 preview shape, which no broker
	// serves: the API server refuses such objects (they must be converted
	// first), but the shape's schema still explains what is wrong.
	served bool
	props  *apiextensionsv1.CustomResourceValidation

	once       sync.Once
	err        error
	structural *structuralschema.Structural
	// fast gives check's verdict on the documents it can (see
	// fastschema.go).
	fast *fastSchema

	// The OpenAPI validator and the CEL programs are built on the first
	// document the fast path does not accept: a run over valid documents
	// never compiles a CEL rule.
	machineryOnce sync.Once
	machineryErr  error
	internal      *apiextensionsinternal.CustomResourceValidation
	validator     apiservervalidation.SchemaValidator
	cel           *cel.Validator
}

// schemaRegistry holds the CRD versions validate knows.
type schemaRegistry struct {
	once     sync.Once
	err      error
	versions map[schema.GroupVersionKind]*crdVersion
	// mid2024 holds the schema of the mid-2024 preview BrokerAuthentication,
	// which shares its apiVersion with the served v1beta1 but not its shape,
	// and which no broker serves.
	mid2024 map[schema.GroupVersionKind]*crdVersion
	// served lists the served versions of each kind, for messages.
	served map[schema.GroupKind][]string
}

// defaultSchemas are the embedded CRDs, parsed on first use.
var defaultSchemas = &schemaRegistry{}

func (r *schemaRegistry) load() error {
	r.once.Do(func() {
		r.versions = map[schema.GroupVersionKind]*crdVersion{}
		r.mid2024 = map[schema.GroupVersionKind]*crdVersion{}
		r.served = map[schema.GroupKind][]string{}
		// The CRDs' JSON form: decoding their YAML took most of the load.
		served := crds.JSON()
		docs := append(append([][]byte(nil), served...), crds.Mid2024JSON()...)
		parsed := make([]apiextensionsv1.CustomResourceDefinition, len(docs))
		errs := make([]error, len(docs))
		for i, b := range docs {
			errs[i] = json.Unmarshal(b, &parsed[i])
		}
		for i := range parsed {
			if errs[i] != nil {
				r.err = fmt.Errorf("reading the embedded CRDs: %w", errs[i])
				return
			}
			crd := &parsed[i]
			gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
			for j := range crd.Spec.Versions {
				v := &crd.Spec.Versions[j]
				gvk := gk.WithVersion(v.Name)
				cv := &crdVersion{gvk: gvk, namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
					served: v.Served, props: v.Schema}
				if i >= len(served) {
					cv.served = false
					r.mid2024[gvk] = cv
					continue
				}
				r.versions[gvk] = cv
				if v.Served {
					r.served[gk] = append(r.served[gk], v.Name)
				}
			}
		}
	})
	return r.err
}

// built returns the version of gvk among the served CRDs, or among the
// mid-2024 preview shapes, built; nil when the kind is not one of ours or
// the CRD has no such version.
func (r *schemaRegistry) built(mid2024 bool, gvk schema.GroupVersionKind) (*crdVersion, error) {
	if err := r.load(); err != nil {
		return nil, err
	}
	versions := r.versions
	if mid2024 {
		versions = r.mid2024
	}
	v := versions[gvk]
	if v == nil {
		return nil, nil
	}
	v.once.Do(v.build)
	return v, v.err
}

// forObject returns the schema to check obj (the document's data model)
// against: the CRD version of gvk, or, for a v1beta1 BrokerAuthentication of
// the mid-2024 preview shape, that shape's schema. The shape is what the
// document shows (see api.PreviewShapeOf).
func (r *schemaRegistry) forObject(gvk schema.GroupVersionKind, obj map[string]any) (*crdVersion, api.PreviewShape, error) {
	var shape api.PreviewShape
	if gvk.Group == api.Group && gvk.Version == "v1beta1" && gvk.Kind == api.KindBrokerAuthentication {
		shape = api.PreviewShapeOf(obj)
		if shape.Kind() == api.ShapeMid2024 {
			v, err := r.built(true, gvk)
			if v == nil && err == nil {
				err = fmt.Errorf("no embedded schema for the mid-2024 %s", gvk)
			}
			return v, shape, err
		}
	}
	v, err := r.built(false, gvk)
	return v, shape, err
}

// build does what the apiextensions API server does when it starts serving
// a CRD version (customresource_handler.go): internal schema, structural
// schema with defaults pruned; then the fast path's predicate. The
// validators are built by buildMachinery.
func (v *crdVersion) build() {
	if v.props == nil || v.props.OpenAPIV3Schema == nil {
		v.err = fmt.Errorf("CRD %s has no schema", v.gvk)
		return
	}
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.props, internal, nil); err != nil {
		v.err = fmt.Errorf("converting the %s schema: %w", v.gvk, err)
		return
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		v.err = fmt.Errorf("the %s schema is not structural: %w", v.gvk, err)
		return
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		v.err = fmt.Errorf("pruning the %s schema's defaults: %w", v.gvk, err)
		return
	}
	v.structural = s
	v.internal = internal
	v.fast = compileFast(s, v.namespaced)
}

// buildMachinery builds what the API server validates with: the OpenAPI
// schema validator and the CEL validator.
func (v *crdVersion) buildMachinery() {
	var err error
	v.validator, _, err = apiservervalidation.NewSchemaValidator(v.internal.OpenAPIV3Schema)
	if err != nil {
		v.machineryErr = fmt.Errorf("building the %s validator: %w", v.gvk, err)
		return
	}
	v.cel = cel.NewValidator(v.structural, true, celconfig.PerCallLimit)
}

// issueKind says which step of the API server raised a serverIssue.
type issueKind int

const (
	issueField   issueKind = iota // a field.Error of validation
	issueUnknown                  // an unknown field (strict field validation)
	issueMeta                     // metadata that does not decode
	issueCEL                      // an x-kubernetes-validations rule
)

// serverIssue is one reason the API server would refuse the document.
type serverIssue struct {
	kind issueKind
	// path is the field path as the server writes it, "" for the root.
	path string
	err  *field.Error
	msg  string
}

// requestNamespace is the namespace kubectl sends a request to when the
// document has none (the server fills it in before validating).
const requestNamespace = "default"

// generatedSuffix stands for the random suffix the server appends to
// metadata.generateName before validating the name.
const generatedSuffix = "x7k2q"

// check runs on obj (the kubectl data model of the document, which it
// prunes and defaults in place: pass a copy to keep it) what the API
// server runs for a create with fieldValidation=Strict: metadata decoding,
// pruning (unknown fields), defaulting, ObjectMeta validation, the OpenAPI
// schema, list-type invariants, and the CEL rules (skipped, as the server
// does, when a blocking error came first).
func (v *crdVersion) check(obj map[string]any) []serverIssue {
	v.machineryOnce.Do(v.buildMachinery)
	if v.machineryErr != nil {
		// The embedded CRDs are part of the binary (and tested): a bug,
		// reported where it shows rather than as a crash.
		return []serverIssue{{kind: issueField, err: field.InternalError(nil, v.machineryErr)}}
	}
	var issues []serverIssue
	objectMeta, foundMeta, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return []serverIssue{{kind: issueMeta, path: "metadata", msg: "metadata does not decode: " + err.Error()}}
	}
	for _, p := range metaUnknown {
		issues = append(issues, serverIssue{kind: issueUnknown, path: p})
	}
	for _, p := range structuralpruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		issues = append(issues, serverIssue{kind: issueUnknown, path: p})
	}
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, v.structural)
	if ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, obj, v.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true}); ferr != nil {
		issues = append(issues, serverIssue{kind: issueField, path: fieldString(ferr.Field), err: ferr})
	} else {
		for _, p := range paths {
			issues = append(issues, serverIssue{kind: issueUnknown, path: p})
		}
	}
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(obj, objectMeta); err != nil {
			return append(issues, serverIssue{kind: issueMeta, path: "metadata", msg: err.Error()})
		}
	}
	structuraldefaulting.Default(obj, v.structural)

	u := &unstructured.Unstructured{Object: obj}
	if v.namespaced && u.GetNamespace() == "" {
		u.SetNamespace(requestNamespace)
	}
	if u.GetName() == "" && u.GetGenerateName() != "" {
		// The server generates the name before validating it.
		u.SetName(u.GetGenerateName() + generatedSuffix)
	}

	var errs field.ErrorList
	errs = append(errs, metavalidation.ValidateObjectMetaAccessor(u, v.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, v.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(nil, obj, v.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	for _, e := range errs {
		issues = append(issues, serverIssue{kind: issueField, path: fieldString(e.Field), err: e})
	}
	if !blocksCEL(errs) {
		celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		for _, e := range celErrs {
			issues = append(issues, serverIssue{kind: issueCEL, path: fieldString(e.Field), err: e})
		}
	}
	return issues
}

// SchemaResult is what the API server would say about creating one object
// with kubectl's default, strict, field validation.
type SchemaResult struct {
	// Errors are the reasons it would refuse the object, with the API
	// server's field paths and wording: metadata, the OpenAPI schema,
	// list-type invariants and the x-kubernetes-validations (CEL) rules.
	Errors field.ErrorList
	// Unknown are the paths of fields that neither the schema nor
	// ObjectMeta knows; strict field validation refuses them.
	Unknown []string
	// Served is false for a shape no broker serves (the mid-2024 preview
	// BrokerAuthentication): the API server refuses objects of it whatever
	// Errors says.
	Served bool
}

// CheckSchema runs validate's schema checks (the ones the differential test
// proves against a real API server) on obj, the JSON data model of one
// manifest as manifest.Document.Object gives it, against the embedded CRD
// of its apiVersion and kind. obj is not modified: pruning and defaulting
// work on a copy, as the API server's do. The error says that no embedded
// CRD has that apiVersion and kind.
func CheckSchema(obj map[string]any) (*SchemaResult, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("apiVersion %q: %w", apiVersion, err)
	}
	v, _, err := defaultSchemas.forObject(gv.WithKind(kind), obj)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("no embedded CRD has apiVersion %q kind %q", apiVersion, kind)
	}
	res := &SchemaResult{Served: v.served}
	for _, is := range v.check(runtime.DeepCopyJSON(obj)) {
		switch is.kind {
		case issueUnknown:
			res.Unknown = append(res.Unknown, is.path)
		case issueMeta:
			res.Errors = append(res.Errors, field.Invalid(field.NewPath("metadata"), field.OmitValueType{}, is.msg))
		default:
			res.Errors = append(res.Errors, is.err)
		}
	}
	return res, nil
}

// blocksCEL mirrors the API server's hasBlockingErr: after these errors the
// CEL rules are not evaluated.
func blocksCEL(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

func fieldString(p string) string {
	if p == "<nil>" {
		return ""
	}
	return p
}

// pathSegment is one step of a field path: a key, or an index when
// index >= 0.
type pathSegment struct {
	key   string
	index int
}

// splitPath splits "a.b[0].c[key]" into segments.
func splitPath(p string) []pathSegment {
	var segs []pathSegment
	for len(p) > 0 {
		switch p[0] {
		case '.':
			p = p[1:]
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(segs, pathSegment{key: p[1:], index: -1})
			}
			inner := p[1:end]
			n := 0
			isNum := inner != ""
			for _, c := range inner {
				if c < '0' || c > '9' {
					isNum = false
					break
				}
				n = n*10 + int(c-'0')
			}
			if isNum {
				segs = append(segs, pathSegment{index: n})
			} else {
				segs = append(segs, pathSegment{key: inner, index: -1})
			}
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			segs = append(segs, pathSegment{key: p[:end], index: -1})
			p = p[end:]
		}
	}
	return segs
}

// schemaAt returns the structural schema at path (nil when the path leaves
// the schema).
func schemaAt(s *structuralschema.Structural, segs []pathSegment) *structuralschema.Structural {
	for _, seg := range segs {
		if s == nil {
			return nil
		}
		if seg.index >= 0 {
			s = s.Items
			continue
		}
		if p, ok := s.Properties[seg.key]; ok {
			s = &p
		} else if s.AdditionalProperties != nil {
			s = s.AdditionalProperties.Structural
		} else {
			return nil
		}
	}
	return s
}
