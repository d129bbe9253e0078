package lint

// Rule describes one kind of finding: its ID (stable, used in output and in
// SARIF), its default severity, a one-line summary and help text that says
// what it catches and how to fix it.
type Rule struct {
	ID       string
	Severity Severity
	Summary  string
	Help     string
	// Server is true for the rules the API server enforces itself: a
	// document with such a finding would be refused by kubectl apply.
	Server bool
}

// The rule IDs.
const (
	RuleYAMLSyntax         = "yaml-syntax"
	RuleDuplicateKey       = "duplicate-key"
	RuleNonStringKey       = "non-string-key"
	RuleAPIVersion         = "api-version"
	RuleMetadata           = "metadata"
	RuleName               = "name-format"
	RuleRequired           = "required-field"
	RuleFieldType          = "field-type"
	RuleEnum               = "enum"
	RuleSchema             = "schema"
	RuleSchemaRule         = "schema-rule"
	RuleUnknownField       = "unknown-field"
	RuleMethodEnum         = "method-enum"
	RuleSettingsBlock      = "settings-block"
	RuleUnusedSettings     = "unused-settings"
	RuleSATAudiences       = "sat-audiences"
	RuleCustomHTTPS        = "custom-https"
	RuleCustomFallthrough  = "custom-fallthrough"
	RuleDuplicateMethod    = "duplicate-method"
	RuleOldAPI             = "old-api-generation"
	RulePreviewAPI         = "preview-api"
	RuleNoncanonical       = "noncanonical-spelling"
	RuleGenerationMismatch = "generation-mismatch"
	RuleLegacyField        = "legacy-field"
	RuleTOMLSyntax         = "toml-syntax"
	RuleAudienceMix        = "audience-mix"
	RuleDefaultName        = "default-name"
	RuleListenerX509TLS    = "x509-needs-tls"
	RuleAuthnRef           = "authn-ref"
	RuleNoAuthn            = "no-authentication"
	RuleDuplicatePort      = "duplicate-port"
	RuleRefAbsent          = "ref-not-in-inputs"
	RuleCANone             = "ca-none"
	RuleCABadPEM           = "ca-bad-pem"
	RuleCANotCA            = "ca-not-ca"
	RuleCAMixedKeys        = "ca-mixed-keys"
	RuleCAExpired          = "ca-expired"
	RuleCAExpiring         = "ca-expiring"
	RuleTLSSecret          = "tls-secret"
)

// Rules is every rule validate knows, in the order the documentation lists
// them. Reporters (SARIF) and docs read it; findings name their rule by ID.
var Rules = []Rule{
	{ID: RuleYAMLSyntax, Severity: SeverityError, Server: true,
		Summary: "The file is not valid YAML.",
		Help:    "The YAML parser stopped here; documents before this point are still checked. Indentation and `key = value` (TOML) lines are the usual causes."},
	{ID: RuleDuplicateKey, Severity: SeverityError, Server: true,
		Summary: "A mapping key appears twice.",
		Help:    "The API server's strict field validation refuses duplicate fields; a plain YAML reader would silently keep the last value. Remove one of them."},
	{ID: RuleNonStringKey, Severity: SeverityWarning,
		Summary: "A mapping key is not a string.",
		Help:    "kubectl turns non-string keys such as `1:` or `true:` into strings; quote the key to say what you mean."},
	{ID: RuleAPIVersion, Severity: SeverityError, Server: true,
		Summary: "The apiVersion is not served for this kind.",
		Help:    "Use mqttbroker.iotoperations.azure.com/v1 (or the v1beta1 preview); `kubectl aio-authn crds` prints what the tool validates against."},
	{ID: RuleMetadata, Severity: SeverityError, Server: true,
		Summary: "metadata is malformed or invalid.",
		Help:    "The API server decodes metadata into ObjectMeta and validates it: a name (DNS subdomain) is required, labels and annotations are string maps."},
	{ID: RuleName, Severity: SeverityError, Server: true,
		Summary: "The resource name breaks the broker's naming rule.",
		Help:    "Broker resource names are 3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit."},
	{ID: RuleRequired, Severity: SeverityError, Server: true,
		Summary: "A required field is missing.",
		Help:    "The CRD schema requires this field; add it."},
	{ID: RuleFieldType, Severity: SeverityError, Server: true,
		Summary: "A field has the wrong type.",
		Help:    "The value's type (string, number, list, mapping) differs from the CRD schema's."},
	{ID: RuleEnum, Severity: SeverityError, Server: true,
		Summary: "A value is not one of the allowed values.",
		Help:    "The CRD schema lists the allowed values. Any letter case is accepted (see noncanonical-spelling), so this is a misspelt or unknown value."},
	{ID: RuleSchema, Severity: SeverityError, Server: true,
		Summary: "The value breaks a CRD schema constraint.",
		Help:    "A pattern, length, count or range constraint of the CRD schema."},
	{ID: RuleSchemaRule, Severity: SeverityError, Server: true,
		Summary: "A CEL validation rule of the CRD fails.",
		Help:    "An x-kubernetes-validations rule of the CRD refused the value; the message says which."},
	{ID: RuleUnknownField, Severity: SeverityError, Server: true,
		Summary: "A field is not in the schema.",
		Help:    "The API server's strict field validation (kubectl's default) refuses unknown fields; without it they are silently dropped. Usually a typo or a field of another API generation."},
	{ID: RuleMethodEnum, Severity: SeverityError, Server: true,
		Summary: "The authentication method is not one the API version knows.",
		Help:    "v1 methods are Custom, ServiceAccountToken and X509, in any letter case; the mid-2024 v1beta1 preview spelled X.509 x509Credentials."},
	{ID: RuleSettingsBlock, Severity: SeverityError, Server: true,
		Summary: "An entry lacks the settings block of its method.",
		Help:    "Each entry takes its settings from the block named after its method: customSettings for Custom, serviceAccountTokenSettings for ServiceAccountToken, x509Settings for X509 (mid-2024 v1beta1: custom, serviceAccountToken, x509Credentials). A block of another method does not stand in for it."},
	{ID: RuleUnusedSettings, Severity: SeverityWarning,
		Summary: "An entry has settings blocks of other methods besides its own.",
		Help:    "The REST API's schema allows a block of every method in one entry (its generated examples fill all three), but its description says \"Only one method is supported for each entry\". This tool assumes the broker reads only the block of the entry's method and ignores the others, as explain does. Delete them, or move each to an entry of its own method."},
	{ID: RuleSATAudiences, Severity: SeverityError, Server: true,
		Summary: "ServiceAccountToken settings need at least one audience.",
		Help:    "A token is accepted only when its aud claim holds one of the audiences; with none, no token can pass. The GA default audience is aio-internal."},
	{ID: RuleCustomHTTPS, Severity: SeverityError, Server: true,
		Summary: "The custom auth server endpoint is not HTTPS.",
		Help:    "The broker sends client credentials to the custom auth server, so the endpoint must start with https://."},
	{ID: RuleCustomFallthrough, Severity: SeverityInfo,
		Summary: "Methods after a Custom entry run only when the auth server is unreachable.",
		Help:    "A Custom method is relevant to every client, and its Pass or Fail answer ends the chain; later entries decide only when the server cannot be reached. Put Custom last if the others should decide first."},
	{ID: RuleDuplicateMethod, Severity: SeverityWarning,
		Summary: "The same method appears twice in the chain.",
		Help:    "The first entry of a method decides for every client it is relevant to; a second entry of the same method is reached only in the Custom unreachable case. Merge them."},
	{ID: RuleOldAPI, Severity: SeverityWarning,
		Summary: "The resource uses an older API generation.",
		Help:    "The mid-2024 preview shape of mqttbroker.iotoperations.azure.com/v1beta1 (settings blocks custom, serviceAccountToken, x509Credentials) and mq.iotoperations.azure.com/v1beta1 (2023 preview) are served by no broker now; `kubectl aio-authn convert FILE --to v1` rewrites them."},
	{ID: RulePreviewAPI, Severity: SeverityInfo,
		Summary: "A v1beta1 resource of the 2025 preview, whose shape is v1's.",
		Help:    "mqttbroker.iotoperations.azure.com/v1beta1 has two shapes, told apart by their fields. The 2025 preview has v1's (customSettings, serviceAccountTokenSettings, x509Settings, method X509) and is valid as it is; the 2025 documentation requires it for x509Settings.additionalValidation, which v1 has too since the REST API's 2025-10-01. `convert --to v1` changes only its apiVersion."},
	{ID: RuleNoncanonical, Severity: SeverityInfo,
		Summary: "An enum value in another letter case than the API's.",
		Help:    "The cluster accepts enum values in any letter case (the REST API's enums are open strings, and Microsoft's SDK applies `method: serviceAccountToken` and `serviceType: clusterIp`), and this tool reads them the same way. The finding gives the canonical spelling; `kubectl aio-authn convert --to v1` writes it."},
	{ID: RuleGenerationMismatch, Severity: SeverityError,
		Summary: "The apiVersion and the shape of the resource are of different API generations.",
		Help:    "Published examples pair the 2023 apiVersion mq.iotoperations.azure.com/v1beta1 with the v1 shape; use mqttbroker.iotoperations.azure.com/v1 for the v1 shape. A v1beta1 BrokerAuthentication that mixes the mid-2024 preview shape (custom, serviceAccountToken, x509Credentials) with the 2025 one (v1's names) is read by neither: write it in one shape."},
	{ID: RuleLegacyField, Severity: SeverityError, Server: true,
		Summary: "A field of another API generation.",
		Help:    "Field names changed between generations (x509Credentials became x509Settings, attributes.secretName became inline authorizationAttributes, ...); the hint shows the name this apiVersion uses."},
	{ID: RuleTOMLSyntax, Severity: SeverityError, Server: true,
		Summary: "TOML `key = value` syntax inside YAML.",
		Help:    "A published X.509 example writes `subject = \"...\"`; YAML needs `subject: ...` and the attributes as a mapping."},
	{ID: RuleAudienceMix, Severity: SeverityInfo,
		Summary: "aio-mq (preview) and aio-internal (GA) audiences.",
		Help:    "aio-mq was the preview's default audience; GA brokers use aio-internal. Tokens for the other one are refused."},
	{ID: RuleDefaultName, Severity: SeverityInfo,
		Summary: "A default name of another API generation.",
		Help:    "The GA default BrokerAuthentication is named default; the previews named it authn."},
	{ID: RuleListenerX509TLS, Severity: SeverityError,
		Summary: "X.509 authentication on a port without TLS.",
		Help:    "Clients present certificates during the TLS handshake, so a port whose authn has an X509 method needs tls (mode Automatic or Manual)."},
	{ID: RuleAuthnRef, Severity: SeverityError,
		Summary: "A listener port references a BrokerAuthentication that is not in the inputs, though they hold others of its namespace.",
		Help:    "When the inputs define BrokerAuthentications in the listener's namespace but not the one named, the name is likely a typo. When they define none there, the reference is only noted (ref-not-in-inputs): a listener file alone may well reference the default one AIO deploys."},
	{ID: RuleNoAuthn, Severity: SeverityWarning,
		Summary: "A listener port has no authenticationRef: authentication is disabled on it.",
		Help:    "Without authenticationRef any client can connect to the port. Add authenticationRef unless the port is meant to be open."},
	{ID: RuleDuplicatePort, Severity: SeverityError,
		Summary: "The same port number is used twice.",
		Help:    "Ports are unique across all listeners of a broker."},
	{ID: RuleRefAbsent, Severity: SeverityInfo,
		Summary: "A referenced ConfigMap, Secret or BrokerAuthentication is not among the inputs.",
		Help:    "It is not checked. That is fine when it is created separately (e.g. with `kubectl aio-authn ca import`, or the BrokerAuthentication default that AIO deploys); add it to the inputs to check it."},
	{ID: RuleCANone, Severity: SeverityError,
		Summary: "A CA ConfigMap holds no CA certificate.",
		Help:    "The broker trusts the PEM certificates in the ConfigMap's data; with none, every client certificate (or the auth server's) is refused. `kubectl aio-authn ca import` builds it."},
	{ID: RuleCABadPEM, Severity: SeverityError,
		Summary: "A PEM certificate in a CA ConfigMap or TLS Secret does not parse.",
		Help:    "The PEM block is damaged or is not a certificate."},
	{ID: RuleCANotCA, Severity: SeverityWarning,
		Summary: "A certificate in a CA ConfigMap is not a CA certificate.",
		Help:    "Trusted CA bundles hold CA certificates (basicConstraints CA:TRUE); a leaf here does not make its clients trusted."},
	{ID: RuleCAMixedKeys, Severity: SeverityWarning,
		Summary: "A CA bundle mixes key algorithms (EC and RSA).",
		Help:    "The broker requires every certificate of a chain to use the same key algorithm; a bundle mixing them suggests chains that will be refused."},
	{ID: RuleCAExpired, Severity: SeverityError,
		Summary: "A certificate has expired (or is not yet valid).",
		Help:    "Chains through it fail validation; replace it."},
	{ID: RuleCAExpiring, Severity: SeverityWarning,
		Summary: "A certificate expires soon (--warn-within, 30 days by default).",
		Help:    "Renew it before it expires."},
	{ID: RuleTLSSecret, Severity: SeverityError,
		Summary: "The Secret for the broker's client certificate is not a usable kubernetes.io/tls Secret.",
		Help:    "customSettings.auth.x509.secretRef names a Secret of type kubernetes.io/tls with tls.crt and tls.key."},
}

var rulesByID = func() map[string]Rule {
	m := make(map[string]Rule, len(Rules))
	for _, r := range Rules {
		m[r.ID] = r
	}
	return m
}()

// RuleByID returns the rule with that ID.
func RuleByID(id string) (Rule, bool) {
	r, ok := rulesByID[id]
	return r, ok
}
