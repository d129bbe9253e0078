// Package authn walks a BrokerAuthentication's chain of methods for one
// client exactly as the broker does and says, step by step,
// why the client is let in or not.
//
// The engine does no I/O of its own: what it needs from outside (keys to
// verify tokens, a TokenReview client, the custom auth server's HTTP client,
// the time) is given to it, so the same code serves explain, batch explain
// and later a local broker. It never prints and never returns a secret:
// passwords, token signatures and keys do not appear in a Decision.
package authn

import (
	"context"
	"crypto/x509"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/assumption"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// SATMethod is the MQTT v5 enhanced authentication method that carries a
// Kubernetes service account token.
const SATMethod = "K8S-SAT"

// Credentials are what a client presents when it connects.
type Credentials struct {
	// Username is the MQTT username, "" when none.
	Username string
	// Password is the MQTT password, nil when none.
	Password []byte
	// AuthMethod and AuthData are MQTT v5 enhanced authentication.
	AuthMethod string
	AuthData   []byte
	// Certificates is the chain presented in the TLS handshake, leaf first.
	Certificates []*x509.Certificate
	// PlainTCP says the connection has no TLS (a listener port without
	// tls), so no certificate can have been presented.
	PlainTCP bool
	// Reauthentication says the credentials come from an MQTT v5 AUTH
	// packet (re-authentication) on a connection already let in, not from
	// CONNECT: a custom auth server then gets a request of type "auth"
	// carrying only the enhanced authentication. Engine.Reauthenticate
	// sets it.
	Reauthentication bool
}

// Config is a BrokerAuthentication with the objects it references, as they
// are in the cluster (or in the operator's bundle). Missing objects are
// allowed: the steps that need them say what to add.
type Config struct {
	Authentication *v1.BrokerAuthentication
	// ConfigMaps and Secrets in the authentication's namespace, by name.
	ConfigMaps map[string]*corev1.ConfigMap
	Secrets    map[string]*corev1.Secret
	// ServiceAccounts by "namespace/name": their aio-broker-auth/
	// annotations are the attributes of SAT clients, and a token verified
	// offline is valid only while its ServiceAccount exists.
	ServiceAccounts map[string]*corev1.ServiceAccount
	// Pods by "namespace/name": a token bound to a pod is valid only while
	// the pod exists.
	Pods map[string]*corev1.Pod
}

// ObjectFinder reads the objects a service account token is bound to from
// the cluster, as the API server reads them when it reviews the token.
// explain --from-cluster passes a client-go implementation; it must be safe
// for concurrent use.
type ObjectFinder interface {
	// ServiceAccount returns the ServiceAccount, or nil and no error when
	// it does not exist.
	ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	// Pod returns the Pod, or nil and no error when it does not exist.
	Pod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
}

// TokenReviewer verifies a service account token with the Kubernetes API
// server, as the broker does. The cluster commands pass a client-go
// implementation.
type TokenReviewer interface {
	Review(ctx context.Context, token string, audiences []string) (*TokenReviewStatus, error)
	// Describe names the API server for messages.
	Describe() string
}

// TokenReviewStatus is the status of a TokenReview.
type TokenReviewStatus struct {
	Authenticated bool
	Username      string
	UID           string
	Groups        []string
	// Audiences are the requested audiences the token is valid for.
	Audiences []string
	Error     string
}

// CustomResult replaces the call to the custom auth server, for what-if runs.
type CustomResult string

// The what-if answers of the custom auth server.
const (
	CustomCall        CustomResult = ""
	CustomPass        CustomResult = "pass"
	CustomFail        CustomResult = "fail"
	CustomUnreachable CustomResult = "unreachable"
)

// ADRDevice states what Azure Device Registry holds for a client's device,
// for what-if runs: with x509Settings.additionalValidation
// AzureDeviceRegistry the broker also requires the leaf certificate's CN to
// name an enabled device there, which nothing offline can look up.
type ADRDevice string

// The device states.
const (
	ADRUnknown  ADRDevice = ""
	ADREnabled  ADRDevice = "enabled"
	ADRDisabled ADRDevice = "disabled"
	ADRMissing  ADRDevice = "missing"
)

// Options are the verifiers the engine may use.
type Options struct {
	// Keys verify tokens offline; nil when none were given.
	Keys *sat.KeySet
	// TokenReview verifies tokens with the API server; nil when not wired.
	TokenReview TokenReviewer
	// Issuers are the service account issuers the API server accepts (its
	// --service-account-issuer); a token verified offline must carry one of
	// them. Empty: the issuer is not checked, and the step says so.
	Issuers []string
	// Objects reads the ServiceAccounts and Pods tokens are bound to from
	// the cluster. Nil: only the Config's are known, and a token verified
	// offline whose objects are not among them is indeterminate, because
	// the API server would check objects explain cannot see.
	Objects ObjectFinder
	// CustomTimeout bounds each call to a custom auth server (default 5s).
	CustomTimeout time.Duration
	// CustomResult, when set, replaces every custom auth server call.
	CustomResult CustomResult
	// ADRDevice, when set, is the state of the client's device in Azure
	// Device Registry; unset, an X509 entry with additionalValidation
	// AzureDeviceRegistry cannot decide (indeterminate).
	ADRDevice ADRDevice
}

// Result is the outcome of a decision or of one step.
type Result string

// The results of a decision and of each step.
const (
	Granted       Result = "granted"
	Denied        Result = "denied"
	Indeterminate Result = "indeterminate"
	NotRelevant   Result = "not-relevant"
	NotEvaluated  Result = "not-evaluated"
)

// Decision is the engine's answer for one client; its JSON is explain's
// stable -o json contract.
type Decision struct {
	Decision Result `json:"decision"`
	// Method and MethodIndex name the entry that decided; nil when no entry
	// was relevant or authentication is disabled.
	Method      *v1.Method `json:"method"`
	MethodIndex *int       `json:"methodIndex"`
	// Username is the MQTT username the broker authorizes the client as,
	// set on grant.
	Username *string `json:"username"`
	// Attributes are the authorization attributes, {} when none.
	Attributes map[string]string `json:"attributes"`
	// ExpiresAt is when the broker disconnects the client; nil means the
	// credential does not expire (or the client was not let in).
	ExpiresAt *time.Time `json:"expiresAt"`
	// Connack is the CONNACK reason code; nil when indeterminate.
	Connack *Connack `json:"connack"`
	Steps   []Step   `json:"steps"`
	// Warnings are things the operator should know even though they did
	// not change the decision.
	Warnings []string `json:"warnings"`
}

// Step is one entry of the chain and what became of it.
type Step struct {
	Index    int       `json:"index"`
	Method   v1.Method `json:"method"`
	Relevant bool      `json:"relevant"`
	Result   Result    `json:"result"`
	Reason   string    `json:"reason"`
	Checks   []Check   `json:"checks,omitempty"`
}

// Check is one test a method made of the credentials.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Skipped marks a check that could not be made (OK is true: it did not
	// fail); Detail says what would make it.
	Skipped bool `json:"skipped,omitempty"`
}

// outcome is what a method's evaluation returns to the flow.
type outcome struct {
	relevant   bool
	result     Result
	reason     string
	checks     []Check
	username   *string
	attributes map[string]string
	expiresAt  *time.Time
	// reasonCode overrides the CONNACK code of a denial (custom server).
	reasonCode *uint8
	warnings   []string
}

// method is one prepared entry of the chain.
type method interface {
	evaluate(ctx context.Context, creds *Credentials, now time.Time) outcome
}

// Engine decides for clients of one BrokerAuthentication. Build it once and
// reuse it: trusted CAs, attribute subjects, keys and HTTP connections are
// prepared once, not per client.
type Engine struct {
	name    string
	kinds   []v1.Method
	methods []method
}

// New prepares the engine for cfg. Problems with the configuration (a
// ConfigMap missing from the bundle, a subject that does not parse) do not
// fail here: they show in the steps of the clients they affect.
func New(cfg Config, opts Options) *Engine {
	e := &Engine{}
	if cfg.Authentication == nil {
		return e
	}
	e.name = cfg.Authentication.Name
	ns := cfg.Authentication.Namespace
	for i, entry := range cfg.Authentication.Spec.AuthenticationMethods {
		e.kinds = append(e.kinds, entry.Method)
		switch entry.Method {
		case v1.MethodX509:
			e.methods = append(e.methods, newX509Method(i, ns, entry.X509Settings, cfg.ConfigMaps, opts.ADRDevice))
		case v1.MethodServiceAccountToken:
			e.methods = append(e.methods, newSATMethod(i, entry.ServiceAccountTokenSettings, cfg, opts))
		case v1.MethodCustom:
			e.methods = append(e.methods, newCustomMethod(i, ns, entry.CustomSettings, cfg.ConfigMaps, cfg.Secrets, opts))
		default:
			e.methods = append(e.methods, unknownMethod{entry.Method})
		}
	}
	return e
}

// Explain walks the chain for creds at time now: the first relevant method
// decides, a relevant and invalid method denies, and credentials relevant to
// no method are denied.
func (e *Engine) Explain(ctx context.Context, creds Credentials, now time.Time) *Decision {
	d := &Decision{Steps: make([]Step, 0, len(e.methods)), Warnings: []string{}}
	decided := false
	for i, m := range e.methods {
		step := Step{Index: i, Method: e.kinds[i]}
		if decided {
			step.Result = NotEvaluated
			step.Reason = "not reached: an earlier method decided"
			d.Steps = append(d.Steps, step)
			continue
		}
		o := m.evaluate(ctx, &creds, now)
		d.Warnings = append(d.Warnings, o.warnings...)
		step.Relevant, step.Reason, step.Checks = o.relevant, o.reason, o.checks
		if !o.relevant {
			step.Result = NotRelevant
			d.Steps = append(d.Steps, step)
			continue
		}
		step.Result = o.result
		d.Steps = append(d.Steps, step)
		decided = true
		kind, index := e.kinds[i], i
		d.Method, d.MethodIndex = &kind, &index
		d.Decision = o.result
		switch o.result {
		case Granted:
			d.Username, d.ExpiresAt, d.Attributes = o.username, o.expiresAt, o.attributes
			d.Connack = connack(CodeSuccess)
		case Denied:
			code := CodeNotAuthorized
			if o.reasonCode != nil {
				code = *o.reasonCode
			}
			d.Connack = connack(code)
		}
	}
	if d.Attributes == nil {
		// Made only here: a granting method usually brings its own map.
		d.Attributes = map[string]string{}
	}
	if !decided {
		d.Decision = Denied
		if creds.AuthMethod != "" {
			// The broker's documentation does not say; enhanced
			// authentication with a method no entry handles is taken to be
			// refused as a bad method.
			d.Connack = connack(CodeBadAuthenticationMethod)
			d.Warnings = append(d.Warnings, assumption.UnknownMethodIs0x8C.Says)
		} else {
			d.Connack = connack(CodeNotAuthorized)
		}
	}
	return d
}

// Disabled is the decision for a listener port without authenticationRef:
// the broker does not authenticate there, so every client is let in.
func Disabled(listener string, port int32) *Decision {
	return &Decision{
		Decision:   Granted,
		Attributes: map[string]string{},
		Connack:    connack(CodeSuccess),
		Steps:      []Step{},
		Warnings: []string{
			"port " + itoa(int(port)) + " of BrokerListener " + listener + " has no authenticationRef: authentication is disabled and every client is let in",
		},
	}
}

// unknownMethod is an entry with a method this tool does not know; the
// broker would reject the resource, so explain treats it as never relevant.
type unknownMethod struct{ kind v1.Method }

func (u unknownMethod) evaluate(context.Context, *Credentials, time.Time) outcome {
	return outcome{reason: "unknown method " + quote(string(u.kind)) + ": the broker accepts Custom, ServiceAccountToken and X509"}
}
