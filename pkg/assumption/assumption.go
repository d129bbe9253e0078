// Package assumption names the choices this tool makes where the broker's
// documentation is silent or contradicts itself. Output that rests on one
// says so in plain words (Says), and docs/assumptions.md explains each under
// its ID: what the tool does and why. TestDocsListEveryAssumption keeps the
// page and this list in step.
package assumption

// An Assumption is one such choice.
type Assumption struct {
	// ID is the assumption's heading in docs/assumptions.md.
	ID string
	// Says is the clause output adds where the assumption decides what is
	// shown: what the documentation lacks, then "this tool assumes ...".
	Says string
}

// The assumptions, in the order docs/assumptions.md lists them.
var (
	// CustomErrorFallsThrough: an auth server answer other than 200, 403 and
	// 422 (400, 405, 5xx, a malformed body) counts as an unreachable server.
	CustomErrorFallsThrough = Assumption{ID: "custom-error-falls-through",
		Says: "the broker's documentation is silent on such answers; this tool assumes the broker counts the server as unreachable"}
	// Custom403Is0x87: a 403 without an MQTT v5 refusal code as its reason
	// refuses the client with CONNACK 0x87.
	Custom403Is0x87 = Assumption{ID: "custom-403-is-0x87",
		Says: "the broker's documentation is silent on such an answer; this tool assumes the broker refuses the client with CONNACK 0x87 Not authorized"}
	// Custom200WithoutAttributes: a 200 without "attributes" grants with
	// no attributes.
	Custom200WithoutAttributes = Assumption{ID: "custom-200-without-attributes",
		Says: "the API's schema requires attributes, but Microsoft's own auth server sample leaves them out; this tool assumes the broker grants the client with none"}
	// SATUsernameNotRead: a username starting with K8S-SAT and the token
	// as password is not a service account token credential.
	SATUsernameNotRead = Assumption{ID: "sat-username-not-read",
		Says: "the broker's documentation contradicts itself on it; this tool assumes, as Microsoft's SDK does, that the broker reads the token only from enhanced authentication"}
	// UnknownMethodIs0x8C: enhanced authentication with a method no entry
	// handles is refused with CONNACK 0x8C.
	UnknownMethodIs0x8C = Assumption{ID: "unknown-method-is-0x8c",
		Says: "the broker's documentation does not say which CONNACK code refuses an enhanced authentication method no entry handles; this tool assumes 0x8C Bad authentication method"}
	// DenialIs0x87: every other refusal is CONNACK 0x87. Output names the
	// code on every denial; the page says why.
	DenialIs0x87 = Assumption{ID: "denial-is-0x87",
		Says: "the broker's documentation names no CONNACK code for a refusal; this tool assumes 0x87 Not authorized"}
	// SubjectsCompareAsNames: X.509 attribute subjects match certificates
	// as distinguished names, not as strings.
	SubjectsCompareAsNames = Assumption{ID: "subjects-compare-as-names",
		Says: "the broker's documentation does not say how subjects are compared; this tool assumes as distinguished names (attribute types in any case, values exactly, in any order)"}
	// OtherBlocksIgnored: settings blocks of other methods in an entry are
	// ignored.
	OtherBlocksIgnored = Assumption{ID: "other-blocks-ignored",
		Says: "the REST API accepts it here but documents one method per entry, and this tool assumes the broker ignores it"}
	// EnumsAnyCase: enum values are accepted in any letter case.
	EnumsAnyCase = Assumption{ID: "enums-any-case",
		Says: "this tool assumes the cluster takes any letter case, as the manifests Microsoft applies show"}
)

// All lists every assumption, in the order docs/assumptions.md lists them.
var All = []Assumption{
	CustomErrorFallsThrough, Custom403Is0x87, Custom200WithoutAttributes, SATUsernameNotRead,
	DenialIs0x87, UnknownMethodIs0x8C, SubjectsCompareAsNames, OtherBlocksIgnored, EnumsAnyCase,
}
