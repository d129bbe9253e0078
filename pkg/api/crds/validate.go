package crds

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// Result is what the API server would say about creating an object.
type Result struct {
	// Errors are schema violations (types, enums, required fields,
	// patterns, list-map keys) and failed x-kubernetes-validations rules,
	// with the API server's field paths and messages.
	Errors field.ErrorList
	// Unknown are the paths of fields the schema does not know, which
	// kubectl's strict field validation (its default) rejects and the API
	// server would otherwise prune.
	Unknown []string
}

// Validator checks objects of one apiVersion and kind against its CRD's
// schema, with the apiextensions machinery the API server uses.
type Validator struct {
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

var (
	validatorsOnce sync.Once
	validators     map[string]*Validator // by "group/version Kind"
	validatorsErr  error
)

// ValidatorFor returns the validator for apiVersion and kind, or nil when no
// embedded CRD serves them (another kind, an unknown version).
func ValidatorFor(apiVersion, kind string) (*Validator, error) {
	validatorsOnce.Do(func() { validators, validatorsErr = buildValidators() })
	if validatorsErr != nil {
		return nil, validatorsErr
	}
	return validators[apiVersion+" "+kind], nil
}

// Validate checks obj (the JSON data model of a manifest, as
// manifest.Document.Object gives it) against the CRD that serves its
// apiVersion and kind. It returns an error only when there is no such CRD.
// obj is not modified: defaults are applied to a copy, as the API server
// applies them before validating.
func Validate(obj map[string]any) (*Result, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	v, err := ValidatorFor(apiVersion, kind)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("no CRD for apiVersion %q kind %q", apiVersion, kind)
	}
	return v.Validate(obj), nil
}

// Validate checks one object; see the package function Validate.
func (v *Validator) Validate(obj map[string]any) *Result {
	u := runtime.DeepCopyJSON(obj)
	res := &Result{}
	res.Unknown = structuralpruning.PruneWithOptions(u, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	structuraldefaulting.Default(u, v.structural)
	if md, ok := u["metadata"].(map[string]any); ok && md["name"] == nil && md["generateName"] != nil {
		// The API server generates the name before validating.
		md["name"] = fmt.Sprint(md["generateName"]) + "x7k2q"
	}
	res.Errors = append(res.Errors, v.validateMetadata(u)...)
	// Embedded resources only: the root's metadata was checked above, as
	// the API server's custom resource strategy does.
	res.Errors = append(res.Errors, schemaobjectmeta.Validate(nil, u, v.structural, false)...)
	res.Errors = append(res.Errors, apiservervalidation.ValidateCustomResource(nil, u, v.schema)...)
	res.Errors = append(res.Errors, listtype.ValidateListSetsAndMaps(nil, v.structural, u)...)
	// The API server runs CEL rules only on objects that pass the schema:
	// rules are written assuming the declared types.
	if len(res.Errors) == 0 {
		errs, _ := v.cel.Validate(context.Background(), nil, v.structural, u, nil, celconfig.RuntimeCELCostBudget)
		res.Errors = append(res.Errors, errs...)
	}
	return res
}

// validateMetadata checks metadata as the API server does for every
// namespaced custom resource (name, labels, annotations...). A manifest may
// leave the namespace out, since kubectl fills it in.
func (v *Validator) validateMetadata(u map[string]any) field.ErrorList {
	md, _ := u["metadata"].(map[string]any)
	meta, _, err := schemaobjectmeta.GetObjectMeta(map[string]any{"metadata": md}, false)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), md, err.Error())}
	}
	if meta == nil {
		meta = &metav1.ObjectMeta{}
	}
	if meta.Namespace == "" {
		meta.Namespace = "default"
	}
	return apimachineryvalidation.ValidateObjectMetaAccessor(meta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

func buildValidators() (map[string]*Validator, error) {
	out := map[string]*Validator{}
	for _, data := range YAML() {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			return nil, fmt.Errorf("embedded CRD: %w", err)
		}
		for _, ver := range crd.Spec.Versions {
			if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
				return nil, fmt.Errorf("embedded CRD %s version %s has no schema", crd.Name, ver.Name)
			}
			internal := &apiextensions.JSONSchemaProps{}
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(ver.Schema.OpenAPIV3Schema, internal, nil); err != nil {
				return nil, fmt.Errorf("embedded CRD %s version %s: %w", crd.Name, ver.Name, err)
			}
			structural, err := structuralschema.NewStructural(internal)
			if err != nil {
				return nil, fmt.Errorf("embedded CRD %s version %s: %w", crd.Name, ver.Name, err)
			}
			sv, _, err := apiservervalidation.NewSchemaValidator(internal)
			if err != nil {
				return nil, fmt.Errorf("embedded CRD %s version %s: %w", crd.Name, ver.Name, err)
			}
			v := &Validator{structural: structural, schema: sv,
				cel: cel.NewValidator(structural, true, celconfig.PerCallLimit)}
			out[crd.Spec.Group+"/"+ver.Name+" "+crd.Spec.Names.Kind] = v
		}
	}
	return out, nil
}

// Kinds lists "apiVersion kind" for every version of every embedded CRD.
func Kinds() []string {
	validatorsOnce.Do(func() { validators, validatorsErr = buildValidators() })
	var out []string
	for k := range validators {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
