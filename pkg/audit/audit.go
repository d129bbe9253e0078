// Package audit checks the broker's authentication configuration as a live
// cluster holds it, read-only, and reports findings in validate's format
// (pkg/lint's Finding, Result and reporters).
//
// The cluster's BrokerAuthentications, BrokerListeners and the ConfigMaps
// and Secrets they reference are rendered as `kubectl get -o yaml` prints
// them and run through the same rules as `validate`, so a live object and
// its manifest get the same findings at the same field. On top of those the
// audit reports what only a cluster shows: references to objects the
// cluster does not have, what authenticates each listener port, and pods
// whose projected service account token no listener port would accept.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// The rules only an audit raises; the others are validate's (pkg/lint).
const (
	// RuleRefMissing: a reference to a ConfigMap or Secret the cluster
	// does not have.
	RuleRefMissing = "ref-missing"
	// RulePodTokenAudience: a pod's projected service account token is
	// for an audience no listener port accepts.
	RulePodTokenAudience = "pod-token-audience"
	// RuleListenerPort: what authenticates a listener port (info).
	RuleListenerPort = "listener-port"
)

// Rules describes the audit's own rules, in the shape of lint.Rules.
var Rules = []lint.Rule{
	{ID: RuleRefMissing, Severity: lint.SeverityError,
		Summary: "A referenced ConfigMap or Secret does not exist in the cluster.",
		Help:    "The broker cannot load what the BrokerAuthentication or BrokerListener names: X.509 clients are refused without their trusted CA ConfigMap, the custom auth server cannot be called without its CA or client certificate, a Manual TLS port has no certificate. Create it (`kubectl aio-authn ca import` for CA ConfigMaps) or fix the name."},
	{ID: RulePodTokenAudience, Severity: lint.SeverityError,
		Summary: "A pod's projected service account token is for an audience no listener port accepts.",
		Help:    "The broker asks the TokenReview API whether the token is valid for the audiences of the port's ServiceAccountToken method; a token for another audience is refused, and the client only sees a CONNACK 0x87. Set the pod's serviceAccountToken volume audience to one the port accepts, or add the audience to the method. An error when the audience is one brokers use (aio-internal, aio-mq, or one a BrokerAuthentication lists); a warning otherwise, since the token may be for something else."},
	{ID: RuleListenerPort, Severity: lint.SeverityInfo,
		Summary: "What authenticates a listener port.",
		Help:    "One line per port that has an authenticationRef: TLS, and the methods of the BrokerAuthentication in chain order."},
}

// DefaultWarnWithin is how close to expiry a CA certificate gets a warning.
const DefaultWarnWithin = lint.DefaultWarnWithin

// Options tune an audit.
type Options struct {
	// Now is the time certificates are checked against; zero means now.
	Now time.Time
	// WarnWithin is how close to expiry a certificate must be to get a
	// warning; zero means DefaultWarnWithin.
	WarnWithin time.Duration
}

// Run reads the cluster (one LIST per resource type and page) and audits
// what it read.
func Run(ctx context.Context, c *kube.Client, scope kube.SnapshotOptions, opts Options) (*Report, error) {
	scope.Pods = true
	s, err := c.ReadSnapshot(ctx, scope)
	if err != nil {
		return nil, err
	}
	return Audit(s, opts)
}

// Report is an audit's outcome: the findings, in validate's shape, and what
// was audited.
type Report struct {
	*lint.Result
	// Scope counts what the audit read.
	Scope Scope
}

// Scope counts the objects an audit read.
type Scope struct {
	// Namespace audited, "" for all namespaces.
	Namespace       string
	Listeners       int
	Ports           int
	Authentications int
	ConfigMaps      int
	Secrets         int
	Pods            int
}

// SummaryLine is the one-line count the text output prints on stderr, e.g.
// `namespace "azure-iot-operations": 2 listeners (3 ports), 2
// authentications, 1 configmap, 0 secrets, 12 pods: 1 error, 2 warnings,
// 3 infos`.
func (r *Report) SummaryLine() string {
	s, sum := r.Scope, r.Summary
	where := "all namespaces"
	if s.Namespace != "" {
		where = fmt.Sprintf("namespace %q", s.Namespace)
	}
	return fmt.Sprintf("%s: %s (%s), %s, %s, %s, %s: %s, %s, %s", where,
		ui.Plural(s.Listeners, "listener"), ui.Plural(s.Ports, "port"), ui.Plural(s.Authentications, "authentication"),
		ui.Plural(s.ConfigMaps, "configmap"), ui.Plural(s.Secrets, "secret"), ui.Plural(s.Pods, "pod"),
		ui.Plural(sum.Errors, "error"), ui.Plural(sum.Warnings, "warning"), ui.Plural(sum.Infos, "info"))
}

// Audit checks a snapshot. It does no I/O.
func Audit(s *kube.Snapshot, opts Options) (*Report, error) {
	if opts.WarnWithin == 0 {
		opts.WarnWithin = DefaultWarnWithin
	}
	a := &auditor{snap: s, docs: map[string]*manifest.Document{}}
	var files []*manifest.File
	add := func(f *manifest.File, err error) error {
		if err != nil {
			return err
		}
		files = append(files, f)
		if len(f.Documents) == 1 {
			a.docs[f.Path] = f.Documents[0]
		}
		return nil
	}
	for i := range s.Objects {
		if err := add(render(s.Objects[i].Object)); err != nil {
			return nil, err
		}
	}
	for i := range s.ConfigMaps {
		if err := add(renderTyped(&s.ConfigMaps[i], "v1", "ConfigMap")); err != nil {
			return nil, err
		}
	}
	for i := range s.Secrets {
		if err := add(renderTyped(&s.Secrets[i], "v1", "Secret")); err != nil {
			return nil, err
		}
	}

	res := lint.Lint(files, lint.Options{Now: opts.Now, WarnWithin: opts.WarnWithin})
	// Validate's wording for references assumes files: "not among the
	// inputs". In a cluster a missing object is missing, and the audit says
	// so in its own findings.
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		if f.Rule != lint.RuleRefAbsent && f.Rule != lint.RuleAuthnRef {
			kept = append(kept, f)
		}
	}
	res.Findings = kept

	a.listenerPorts()
	a.missingRefs()
	if err := a.podTokens(); err != nil {
		return nil, err
	}
	res.Findings = append(res.Findings, a.findings...)
	res.Files = append(res.Files, a.extraFiles...)
	res.Resources = append(res.Resources, a.extraResources...)
	res.Summary.Files += len(a.extraFiles)
	res.Summary.Documents += len(a.extraFiles)
	res.Summary.Resources += len(a.extraResources)
	res.Resettle()

	rep := &Report{Result: res, Scope: Scope{
		Namespace: s.Namespace, Listeners: len(s.Listeners), Authentications: len(s.Authentications),
		ConfigMaps: len(s.ConfigMaps), Secrets: len(s.Secrets), Pods: len(s.Pods),
	}}
	for _, l := range s.Listeners {
		rep.Scope.Ports += len(l.Spec.Ports)
	}
	return rep, nil
}

// auditor gathers the audit's own findings.
type auditor struct {
	snap *kube.Snapshot
	// docs are the rendered broker objects, by ObjectPath, for positions.
	docs     map[string]*manifest.Document
	findings []lint.Finding
	// extraFiles and extraResources are the pods findings were made on.
	extraFiles     []string
	extraResources []lint.Resource
}

// add records a finding about a field of a rendered object.
func (a *auditor) add(doc *manifest.Document, path, rule string, sev lint.Severity, msg, hint string) {
	pos := doc.Position(path)
	if pos.Line < 1 {
		pos = manifest.Position{Line: doc.Line, Column: 1}
	}
	a.findings = append(a.findings, lint.Finding{
		File: doc.File, Line: pos.Line, Column: max(pos.Column, 1), Document: doc.Index,
		Kind: doc.Kind, Name: doc.Name, Field: path,
		Severity: sev, Rule: rule, Message: msg, Hint: hint,
	})
}

func (a *auditor) doc(ns, kind, name string) *manifest.Document {
	return a.docs[ObjectPath(ns, kind, name)]
}

// listenerPorts says what authenticates each port, and flags references
// to BrokerAuthentications the cluster does not have.
func (a *auditor) listenerPorts() {
	for _, l := range a.snap.Listeners {
		doc := a.doc(l.Namespace, api.KindBrokerListener, l.Name)
		if doc == nil {
			continue
		}
		for i, p := range l.Spec.Ports {
			path := fmt.Sprintf("spec.ports[%d]", i)
			if p.AuthenticationRef == "" {
				continue // validate's no-authentication warning says it
			}
			authn := a.snap.Authentication(l.Namespace, p.AuthenticationRef)
			if authn == nil {
				a.add(doc, path+".authenticationRef", lint.RuleAuthnRef, lint.SeverityError,
					fmt.Sprintf("port %d: authenticationRef %q names no BrokerAuthentication in namespace %q: the broker cannot authenticate clients on this port", p.Port, p.AuthenticationRef, l.Namespace),
					authnRefHint(a.snap, l.Namespace, p.AuthenticationRef))
				continue
			}
			a.add(doc, path+".port", RuleListenerPort, lint.SeverityInfo,
				fmt.Sprintf("port %d (%s): BrokerAuthentication %s: %s", p.Port, describeTLS(p.TLS), authn.Name, describeMethods(authn)), "")
		}
	}
}

func authnRefHint(s *kube.Snapshot, ns, ref string) string {
	var names []string
	for _, a := range s.Authentications {
		if a.Namespace == ns {
			names = append(names, a.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("namespace %q has no BrokerAuthentication; apply one named %s (kubectl aio-authn generate authn)", ns, ref)
	}
	return "BrokerAuthentications in the namespace: " + strings.Join(names, ", ")
}

func describeTLS(tls *v1.TLSCertMethod) string {
	if tls == nil {
		return "no TLS"
	}
	mode := string(tls.Mode)
	if mode == "" {
		mode = "mode unset"
	}
	return "TLS " + mode
}

func describeMethods(a *v1.BrokerAuthentication) string {
	var parts []string
	for _, m := range a.Spec.AuthenticationMethods {
		switch m.Method {
		case v1.MethodServiceAccountToken:
			var auds []string
			if m.ServiceAccountTokenSettings != nil {
				auds = m.ServiceAccountTokenSettings.Audiences
			}
			parts = append(parts, fmt.Sprintf("ServiceAccountToken (audiences %s)", strings.Join(auds, ", ")))
		case v1.MethodX509:
			parts = append(parts, fmt.Sprintf("X509 (trusted CAs in configmap %s)", trustedCA(m)))
		case v1.MethodCustom:
			endpoint := ""
			if m.CustomSettings != nil {
				endpoint = m.CustomSettings.Endpoint
			}
			parts = append(parts, fmt.Sprintf("Custom (%s)", endpoint))
		default:
			parts = append(parts, string(m.Method))
		}
	}
	if len(parts) == 0 {
		return "no methods"
	}
	return strings.Join(parts, ", then ")
}

func trustedCA(m v1.BrokerAuthenticatorMethods) string {
	if m.X509Settings != nil && m.X509Settings.TrustedClientCACert != "" {
		return m.X509Settings.TrustedClientCACert
	}
	return v1.DefaultTrustedClientCACert
}

// missingRefs flags ConfigMaps and Secrets referenced but absent.
func (a *auditor) missingRefs() {
	for _, authn := range a.snap.Authentications {
		doc := a.doc(authn.Namespace, api.KindBrokerAuthentication, authn.Name)
		if doc == nil {
			continue
		}
		for i, m := range authn.Spec.AuthenticationMethods {
			base := fmt.Sprintf("spec.authenticationMethods[%d]", i)
			switch {
			case m.Method == v1.MethodX509:
				name := trustedCA(m)
				if a.snap.ConfigMap(authn.Namespace, name) == nil {
					how := ""
					if m.X509Settings == nil || m.X509Settings.TrustedClientCACert == "" {
						how = " (the default)"
					}
					a.add(doc, base+".x509Settings.trustedClientCaCert", RuleRefMissing, lint.SeverityError,
						fmt.Sprintf("configmap %s%s with the trusted client CAs does not exist in namespace %q: every X.509 client is refused", name, how, authn.Namespace),
						fmt.Sprintf("kubectl aio-authn ca import client_ca.pem --name %s -n %s", name, authn.Namespace))
				}
			case m.Method == v1.MethodCustom && m.CustomSettings != nil:
				cs := m.CustomSettings
				if cs.CACertConfigMap != "" && a.snap.ConfigMap(authn.Namespace, cs.CACertConfigMap) == nil {
					a.add(doc, base+".customSettings.caCertConfigMap", RuleRefMissing, lint.SeverityError,
						fmt.Sprintf("configmap %s with the auth server's CA does not exist in namespace %q: the broker cannot verify the custom auth server", cs.CACertConfigMap, authn.Namespace),
						fmt.Sprintf("kubectl aio-authn ca import server_ca.pem --name %s -n %s", cs.CACertConfigMap, authn.Namespace))
				}
				if cs.Auth != nil && cs.Auth.X509.SecretRef != "" && a.snap.Secret(authn.Namespace, cs.Auth.X509.SecretRef) == nil {
					a.add(doc, base+".customSettings.auth.x509.secretRef", RuleRefMissing, lint.SeverityError,
						fmt.Sprintf("secret %s with the broker's client certificate for the auth server does not exist in namespace %q", cs.Auth.X509.SecretRef, authn.Namespace),
						fmt.Sprintf("kubectl create secret tls %s --cert client_cert.pem --key client_key.pem -n %s", cs.Auth.X509.SecretRef, authn.Namespace))
				}
			}
		}
	}
	for _, l := range a.snap.Listeners {
		doc := a.doc(l.Namespace, api.KindBrokerListener, l.Name)
		if doc == nil {
			continue
		}
		for i, p := range l.Spec.Ports {
			if p.TLS == nil || p.TLS.Mode != v1.TLSModeManual || p.TLS.Manual == nil || p.TLS.Manual.SecretRef == "" {
				continue
			}
			if a.snap.Secret(l.Namespace, p.TLS.Manual.SecretRef) == nil {
				a.add(doc, fmt.Sprintf("spec.ports[%d].tls.manual.secretRef", i), RuleRefMissing, lint.SeverityError,
					fmt.Sprintf("port %d: secret %s with the server certificate does not exist in namespace %q: the port cannot serve TLS", p.Port, p.TLS.Manual.SecretRef, l.Namespace),
					fmt.Sprintf("kubectl create secret tls %s --cert server_cert.pem --key server_key.pem -n %s", p.TLS.Manual.SecretRef, l.Namespace))
			}
		}
	}
}
