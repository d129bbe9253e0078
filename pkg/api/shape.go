package api

import (
	"fmt"
	"strings"
)

// mqttbroker.iotoperations.azure.com/v1beta1 BrokerAuthentications come in
// two shapes. The mid-2024 preview named the settings blocks custom,
// serviceAccountToken and x509Credentials (method x509Credentials); no
// broker serves it now. The 2025 preview has the v1 shape (customSettings,
// serviceAccountTokenSettings, x509Settings, method X509) plus the preview
// fields, and the 2025 documentation requires it for additionalValidation.
// Only the shape tells them apart.

// ShapeKind names the shape of a v1beta1 BrokerAuthentication.
type ShapeKind int

// The shapes. ShapeNone is a document with no field only one shape has (no
// entries, or entries with a method and no settings block): it reads the
// same in both, and is taken as the 2025 shape, the one brokers serve.
const (
	ShapeNone ShapeKind = iota
	ShapeMid2024
	Shape2025
	ShapeMixed
)

// PreviewShape is the evidence of each shape in a v1beta1 document: the
// field paths only that shape has ("PATH: VALUE" for a method).
type PreviewShape struct {
	Mid2024 []string
	Y2025   []string
}

// Kind says which shape the evidence shows.
func (p PreviewShape) Kind() ShapeKind {
	switch {
	case len(p.Mid2024) > 0 && len(p.Y2025) > 0:
		return ShapeMixed
	case len(p.Mid2024) > 0:
		return ShapeMid2024
	case len(p.Y2025) > 0:
		return Shape2025
	}
	return ShapeNone
}

// Describe names the shape seen with its first piece of evidence, for a
// message: `the mid-2024 preview shape (x509Credentials at
// spec.authenticationMethods[0])`.
func (p PreviewShape) Describe() string {
	switch p.Kind() {
	case ShapeMid2024:
		return "the mid-2024 preview shape (" + p.Mid2024[0] + ")"
	case Shape2025:
		return "the 2025 preview shape, which is the v1 shape (" + p.Y2025[0] + ")"
	case ShapeMixed:
		return p.MixedMessage()
	}
	return "no field of either preview shape; read as the 2025 preview shape, which is the v1 shape"
}

// FirstPath is the field path of the first evidence of the mid-2024 shape,
// or else of the 2025 shape ("" when there is none).
func (p PreviewShape) FirstPath() string {
	for _, ev := range [][]string{p.Mid2024, p.Y2025} {
		if len(ev) > 0 {
			path, _, _ := strings.Cut(ev[0], ": ")
			return path
		}
	}
	return ""
}

// MixedMessage names both shapes of a mixed document.
func (p PreviewShape) MixedMessage() string {
	return fmt.Sprintf("the document mixes the mid-2024 preview shape (%s) with the 2025 preview shape (%s): "+
		"write every entry in one of them, preferably the 2025 one, which is v1's",
		strings.Join(p.Mid2024, ", "), strings.Join(p.Y2025, ", "))
}

// PreviewShapeOf gathers the evidence of each v1beta1 shape in obj, the
// JSON data model of a BrokerAuthentication.
func PreviewShapeOf(obj map[string]any) PreviewShape {
	var p PreviewShape
	spec, _ := obj["spec"].(map[string]any)
	entries, _ := spec["authenticationMethods"].([]any)
	for i, e := range entries {
		entry, _ := e.(map[string]any)
		path := fmt.Sprintf("spec.authenticationMethods[%d]", i)
		if m, ok := entry["method"].(string); ok {
			// Only a value the two spell differently is evidence.
			if c, ok := GenMid2024.Method(m); ok && !strings.EqualFold(m, GenV1.MethodValue(c)) {
				p.Mid2024 = append(p.Mid2024, path+".method: "+m)
			} else if c, ok := GenV1.Method(m); ok && !strings.EqualFold(m, GenMid2024.MethodValue(c)) {
				p.Y2025 = append(p.Y2025, path+".method: "+m)
			}
		}
		for _, b := range GenMid2024.Blocks() {
			if _, ok := entry[b]; ok {
				p.Mid2024 = append(p.Mid2024, path+"."+b)
			}
		}
		for _, b := range GenV1.Blocks() {
			if _, ok := entry[b]; ok {
				p.Y2025 = append(p.Y2025, path+"."+b)
			}
		}
	}
	return p
}
