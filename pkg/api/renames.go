package api

import (
	"fmt"
	"strings"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api/mid2024"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// Generation is one shape of the BrokerAuthentication API. What changed
// from one to the next is the Renames table: the typed conversion, the YAML
// conversion (pkg/convert) and validate's hints on another generation's
// names (pkg/lint) all read it.
type Generation int

// The generations, oldest first. The 2025 v1beta1 preview has v1's shape,
// so it is GenV1.
const (
	// Gen2023 is the 2023 preview, mq.iotoperations.azure.com/v1beta1:
	// an entry is one key naming its method (sat, x509, custom,
	// usernamePassword).
	Gen2023 Generation = iota
	// GenMid2024 is the mid-2024 shape of
	// mqttbroker.iotoperations.azure.com/v1beta1: a method, and its
	// settings in custom, serviceAccountToken or x509Credentials.
	GenMid2024
	// GenV1 is v1 (and the 2025 v1beta1): customSettings,
	// serviceAccountTokenSettings, x509Settings.
	GenV1
	numGenerations
)

// Generations lists the generations, oldest first.
var Generations = []Generation{Gen2023, GenMid2024, GenV1}

// String names the generation in messages: "sat is the 2023 preview's
// name".
func (g Generation) String() string {
	switch g {
	case Gen2023:
		return "2023 preview"
	case GenMid2024:
		return "mid-2024 v1beta1"
	case GenV1:
		return "v1"
	}
	return fmt.Sprintf("Generation(%d)", int(g))
}

// DefaultAudience is the audience of the broker's own service account
// tokens in this generation's examples and deployments.
func (g Generation) DefaultAudience() string {
	if g == GenV1 {
		return "aio-internal"
	}
	return "aio-mq"
}

// DefaultAuthenticationName is the name of the BrokerAuthentication a
// deployment of this generation creates.
func (g Generation) DefaultAuthenticationName() string {
	if g == GenV1 {
		return "default"
	}
	return "authn"
}

// Names is a name in each generation, "" where the generation has none.
type Names [numGenerations]string

// Where says what kind of name a Rename is.
type Where int

// The places a name can be.
const (
	// InSpec is a field of spec.
	InSpec Where = iota
	// InEntry is a key of an entry of spec.authenticationMethods: a
	// method's settings block (in 2023, the entry's one key).
	InEntry
	// MethodValue is a value of an entry's method field.
	MethodValue
	// InBlock is a field inside a method's settings block, in the mapping
	// at Rename.Path of the block.
	InBlock
)

func (w Where) String() string {
	switch w {
	case InSpec:
		return "a field of spec"
	case InEntry:
		return "a key of an entry"
	case MethodValue:
		return "a method value"
	case InBlock:
		return "a field of a settings block"
	}
	return fmt.Sprintf("Where(%d)", int(w))
}

// Rename is one name of a BrokerAuthentication in every generation.
type Rename struct {
	Where Where
	// Method is the method whose block or method value this is; "" for a
	// field that belongs to no method.
	Method v1.Method
	// Path is, for InBlock, the path inside the settings block of the
	// mapping that holds the field ("" for the block itself).
	Path  string
	Names Names
	// Successor is, for a field v1 has no name for, the v1 field that
	// does its job with a value of another shape.
	Successor string
	// Note is, for a field v1 has no name for, what to do instead; for a
	// field only v1 has, what an older document should do to use it.
	Note string
	// Refuse is set when conversion cannot carry the field over: it stops
	// with Note rather than drop it.
	Refuse bool
}

// The renames code names: conversion warns about what dropping the first two
// leaves to do, which depends on their values, and the typed conversion
// reads the fields of the last two by hand.
var (
	// RenameListenerRef is the 2023 link from an authentication to its
	// listeners, which v1 reverses.
	RenameListenerRef = &Rename{Where: InSpec, Names: Names{Gen2023: "listenerRef"},
		Note: "in v1 a listener port names its BrokerAuthentication (ports[].authenticationRef)"}
	// RenameSecretNamespace is the namespace of the custom auth server's
	// client certificate Secret, which v1 reads from the
	// BrokerAuthentication's namespace.
	RenameSecretNamespace = &Rename{Where: InBlock, Method: v1.MethodCustom, Path: "auth.x509",
		Names: Names{Gen2023: "namespace", GenMid2024: "namespace"},
		Note:  "v1 reads the Secret from the BrokerAuthentication's namespace"}
	// RenameAttributes is the 2023 reference to a TOML Secret of
	// certificate attributes, which later generations write inline.
	RenameAttributes = &Rename{Where: InBlock, Method: v1.MethodX509, Names: Names{Gen2023: "attributes"},
		Successor: "authorizationAttributes", Refuse: true,
		Note: "a TOML Secret of attributes has no later equivalent: " +
			"inline them by hand as authorizationAttributes: {NAME: {subject: DN, attributes: {key: value}}}"}
	// RenameUsernamePassword is the 2023 method no later generation has.
	RenameUsernamePassword = &Rename{Where: InEntry, Names: Names{Gen2023: "usernamePassword"}, Refuse: true,
		Note: "username/password authentication ended with the 2023 preview: " +
			"move those clients to X509 or ServiceAccountToken, or check passwords in a Custom auth server"}
)

// Renames is every name that differs between the generations.
var Renames = []*Rename{
	// The settings blocks, in the order messages list the 2023 keys.
	{Where: InEntry, Method: v1.MethodServiceAccountToken,
		Names: Names{Gen2023: "sat", GenMid2024: "serviceAccountToken", GenV1: "serviceAccountTokenSettings"}},
	{Where: InEntry, Method: v1.MethodX509,
		Names: Names{Gen2023: "x509", GenMid2024: "x509Credentials", GenV1: "x509Settings"}},
	{Where: InEntry, Method: v1.MethodCustom,
		Names: Names{Gen2023: "custom", GenMid2024: "custom", GenV1: "customSettings"}},
	RenameUsernamePassword,

	// The method values (2023 entries have no method field).
	{Where: MethodValue, Method: v1.MethodServiceAccountToken,
		Names: Names{GenMid2024: string(mid2024.MethodServiceAccountToken), GenV1: string(v1.MethodServiceAccountToken)}},
	{Where: MethodValue, Method: v1.MethodX509,
		Names: Names{GenMid2024: string(mid2024.MethodX509Credentials), GenV1: string(v1.MethodX509)}},
	{Where: MethodValue, Method: v1.MethodCustom,
		Names: Names{GenMid2024: string(mid2024.MethodCustom), GenV1: string(v1.MethodCustom)}},

	// Inside the settings blocks.
	{Where: InBlock, Method: v1.MethodCustom,
		Names: Names{Gen2023: "caCert", GenMid2024: "caCert", GenV1: "caCertConfigMap"}},
	{Where: InBlock, Method: v1.MethodCustom, Path: "auth.x509",
		Names: Names{Gen2023: "secretName", GenMid2024: "secretName", GenV1: "secretRef"}},
	RenameSecretNamespace,
	RenameAttributes,
	{Where: InBlock, Method: v1.MethodX509, Names: Names{GenV1: "additionalValidation"},
		Note: "the 2025 preview shape, v1's, has it: " +
			"write the entry as method: X509 with x509Settings (the 2025 v1beta1 and v1 both take it)"},

	RenameListenerRef,
}

// In returns the name in generation g ("" when it has none).
func (r *Rename) In(g Generation) string { return r.Names[g] }

// Block returns the name of method m's settings block in generation g (in
// 2023, the entry's key).
func (g Generation) Block(m v1.Method) string {
	if r := find(InEntry, m); r != nil {
		return r.Names[g]
	}
	return ""
}

// MethodValue returns the canonical spelling of method m's value in
// generation g ("" in 2023, which has no method field).
func (g Generation) MethodValue(m v1.Method) string {
	if r := find(MethodValue, m); r != nil {
		return r.Names[g]
	}
	return ""
}

// Method returns the v1 method that value, in any letter case, names in
// generation g.
func (g Generation) Method(value string) (v1.Method, bool) {
	for _, r := range Renames {
		if r.Where == MethodValue && r.Names[g] != "" && strings.EqualFold(r.Names[g], value) {
			return r.Method, true
		}
	}
	return "", false
}

// BlockMethod returns the method whose settings block generation g names
// key.
func (g Generation) BlockMethod(key string) (v1.Method, bool) {
	for _, r := range Renames {
		if r.Where == InEntry && r.Method != "" && r.Names[g] == key {
			return r.Method, true
		}
	}
	return "", false
}

// EntryKeys returns the keys generation g gives the entries of
// spec.authenticationMethods besides method: the settings blocks, and in
// 2023 usernamePassword too.
func (g Generation) EntryKeys() []string {
	var out []string
	for _, r := range Renames {
		if r.Where == InEntry && r.Names[g] != "" {
			out = append(out, r.Names[g])
		}
	}
	return out
}

// Blocks returns the settings block names of generation g.
func (g Generation) Blocks() []string {
	var out []string
	for _, r := range Renames {
		if r.Where == InEntry && r.Method != "" && r.Names[g] != "" {
			out = append(out, r.Names[g])
		}
	}
	return out
}

// Field returns the name generation g gives the field that v1 names v1Name
// inside method m's settings block, at path inside it: the name itself when
// it did not change.
func (g Generation) Field(m v1.Method, path, v1Name string) string {
	for _, r := range Renames {
		if r.Where == InBlock && r.Method == m && r.Path == path && r.Names[GenV1] == v1Name {
			return r.Names[g]
		}
	}
	return v1Name
}

func find(w Where, m v1.Method) *Rename {
	for _, r := range Renames {
		if r.Where == w && r.Method == m {
			return r
		}
	}
	return nil
}
