// Package bundle reads an explain bundle: the manifests an operator applies
// for broker authentication (BrokerAuthentications, BrokerListeners and the
// ConfigMaps, Secrets and ServiceAccounts they reference, and the Pods
// service account tokens are bound to), from files,
// directories or standard input. Unlike validate, which reports broken YAML
// as a finding, explain cannot work from a bundle it cannot read, so every
// problem here is an error naming file and line.
package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// Authentication is a BrokerAuthentication of the bundle, in v1 whatever
// generation the file holds.
type Authentication struct {
	*v1.BrokerAuthentication
	// Position is "file:line" of the document.
	Position string
	// Notes say what converting an older generation did.
	Notes []string
}

// Listener is a BrokerListener of the bundle.
type Listener struct {
	*v1.BrokerListener
	Position string
}

// Bundle is everything explain needs from the manifests.
type Bundle struct {
	Authentications []*Authentication
	Listeners       []*Listener
	ConfigMaps      []*corev1.ConfigMap
	Secrets         []*corev1.Secret
	ServiceAccounts []*corev1.ServiceAccount
	// Pods are only read for the tokens bound to them: a token is valid
	// only while its pod exists.
	Pods []*corev1.Pod
	// Files are the paths read, for messages.
	Files []string
	// Notes say what reading directories skipped (a FIFO, a dangling
	// link), for standard error.
	Notes []input.Note
	// Warnings are about the YAML of the documents read: a duplicated key,
	// of which explain (like kubectl) uses the last value while the API
	// server refuses the document.
	Warnings []string
}

// Error is a bundle that cannot be used, at a file position when there is
// one.
type Error struct {
	Position string
	Msg      string
}

func (e *Error) Error() string {
	if e.Position == "" {
		return e.Msg
	}
	return e.Position + ": " + e.Msg
}

// Read reads the bundle from paths ("-" for stdin) within lim, a document
// at a time: only the resources explain uses are kept, decoded. Documents of
// other kinds are skipped; List documents (kubectl get -o yaml) are read
// item by item.
func Read(paths []string, stdin io.Reader, lim manifest.Limits) (*Bundle, error) {
	files, notes, err := manifest.Expand(paths)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Notes: notes}
	for _, p := range files {
		if err := b.read(p, stdin, lim); err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, &Error{Msg: fmt.Sprintf("no manifest files (*.yaml, *.yml, *.json) in %s: give the bundle's files or directories with -f", strings.Join(paths, ", "))}
	}
	return b, nil
}

// read adds the documents of one file.
func (b *Bundle) read(path string, stdin io.Reader, lim manifest.Limits) error {
	o, err := manifest.OpenPath(path, stdin, lim)
	if err != nil {
		return err
	}
	defer o.Close()
	b.Files = append(b.Files, o.Path)
	s := manifest.NewStream(o.Path, o, lim)
	for {
		doc, err := s.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var se *manifest.SyntaxError
		if errors.As(err, &se) {
			return &Error{Msg: se.Error() + ": fix the YAML (explain needs a bundle that parses; validate shows every problem)"}
		}
		if err != nil {
			return err
		}
		for _, d := range manifest.ExpandLists([]*manifest.Document{doc}) {
			if err := b.add(d); err != nil {
				return err
			}
		}
	}
}

func position(doc *manifest.Document) string { return fmt.Sprintf("%s:%d", doc.File, doc.Line) }

func (b *Bundle) add(doc *manifest.Document) error {
	var target any
	switch {
	case doc.Kind == api.KindBrokerAuthentication && (doc.Group() == api.Group || doc.Group() == api.Group2023):
	case doc.Kind == api.KindBrokerListener && (doc.Group() == api.Group || doc.Group() == api.Group2023):
	case doc.APIVersion == "v1" && doc.Kind == "ConfigMap":
		target = &corev1.ConfigMap{}
	case doc.APIVersion == "v1" && doc.Kind == "Secret":
		target = &corev1.Secret{}
	case doc.APIVersion == "v1" && doc.Kind == "ServiceAccount":
		target = &corev1.ServiceAccount{}
	case doc.APIVersion == "v1" && doc.Kind == "Pod":
		target = &corev1.Pod{}
	default:
		return nil
	}
	data, problems, err := doc.JSON()
	if err != nil {
		return &Error{Position: position(doc), Msg: fmt.Sprintf("%s %s: %v", doc.Kind, doc.Name, err)}
	}
	for _, p := range problems {
		if p.Kind == "duplicate-key" {
			b.Warnings = append(b.Warnings, fmt.Sprintf("%s:%d: %s %s: %s: explain uses the last value, as kubectl does, but the API server refuses the document (validate reports it)",
				doc.File, p.Pos.Line, doc.Kind, doc.Name, p.Msg))
		}
	}
	wrap := func(err error) error {
		return &Error{Position: position(doc), Msg: fmt.Sprintf("%s %q does not decode: %v: run `kubectl aio-authn validate %s` for details", doc.Kind, doc.Name, err, doc.File)}
	}
	switch doc.Kind {
	case api.KindBrokerAuthentication:
		a, notes, err := api.DecodeBrokerAuthentication(doc.APIVersion, data)
		if err != nil {
			return wrap(err)
		}
		b.Authentications = append(b.Authentications, &Authentication{BrokerAuthentication: a, Position: position(doc), Notes: notes})
		return nil
	case api.KindBrokerListener:
		l, _, err := api.DecodeBrokerListener(doc.APIVersion, data)
		if err != nil {
			return wrap(err)
		}
		b.Listeners = append(b.Listeners, &Listener{BrokerListener: l, Position: position(doc)})
		return nil
	}
	if err := json.Unmarshal(data, target); err != nil {
		return wrap(err)
	}
	switch o := target.(type) {
	case *corev1.ConfigMap:
		b.ConfigMaps = append(b.ConfigMaps, o)
	case *corev1.Secret:
		// The API server merges stringData into data on write; do the
		// same so a Secret written by hand reads like one from the cluster.
		if len(o.StringData) > 0 && o.Data == nil {
			o.Data = map[string][]byte{}
		}
		for k, v := range o.StringData {
			o.Data[k] = []byte(v)
		}
		b.Secrets = append(b.Secrets, o)
	case *corev1.ServiceAccount:
		b.ServiceAccounts = append(b.ServiceAccounts, o)
	case *corev1.Pod:
		b.Pods = append(b.Pods, o)
	}
	return nil
}

// sameNamespace: an object without a namespace in its manifest goes to the
// namespace it is applied to, which is the authentication's for a bundle
// applied together.
func sameNamespace(a, b string) bool { return a == "" || b == "" || a == b }

// Authentication picks the BrokerAuthentication to explain: the one named,
// or the only one.
func (b *Bundle) Authentication(name string) (*Authentication, error) {
	if len(b.Authentications) == 0 {
		return nil, &Error{Msg: fmt.Sprintf("no BrokerAuthentication in %s: add its manifest with -f", strings.Join(b.Files, ", "))}
	}
	if name == "" {
		if len(b.Authentications) == 1 {
			return b.Authentications[0], nil
		}
		return nil, &Error{Msg: fmt.Sprintf("the bundle holds %d BrokerAuthentications (%s): choose one with --authn NAME or --listener NAME --port N",
			len(b.Authentications), b.describeAuthentications())}
	}
	for _, a := range b.Authentications {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, &Error{Msg: fmt.Sprintf("no BrokerAuthentication named %q in the bundle (it has %s)", name, b.describeAuthentications())}
}

func (b *Bundle) describeAuthentications() string {
	parts := make([]string, len(b.Authentications))
	for i, a := range b.Authentications {
		parts[i] = a.Name + " at " + a.Position
	}
	return strings.Join(parts, ", ")
}

// Port is a listener port and what it says about authentication.
type Port struct {
	Listener *Listener
	Port     v1.ListenerPort
}

// TLS reports whether the port has TLS, so a client certificate can be
// presented on it.
func (p *Port) TLS() bool { return p.Port.TLS != nil }

// Port finds port number on the named listener.
func (b *Bundle) Port(listener string, number int32) (*Port, error) {
	var names []string
	for _, l := range b.Listeners {
		names = append(names, l.Name)
		if l.Name != listener {
			continue
		}
		var ports []string
		for _, p := range l.Spec.Ports {
			if p.Port == number {
				return &Port{Listener: l, Port: p}, nil
			}
			ports = append(ports, fmt.Sprint(p.Port))
		}
		return nil, &Error{Position: l.Position, Msg: fmt.Sprintf("BrokerListener %s has no port %d (it has %s)", listener, number, strings.Join(ports, ", "))}
	}
	if len(names) == 0 {
		return nil, &Error{Msg: fmt.Sprintf("no BrokerListener in %s: add its manifest with -f, or choose the authentication with --authn", strings.Join(b.Files, ", "))}
	}
	sort.Strings(names)
	return nil, &Error{Msg: fmt.Sprintf("no BrokerListener named %q in the bundle (it has %s)", listener, strings.Join(names, ", "))}
}

// Config gathers what the engine needs for a: the ConfigMaps and Secrets of
// its namespace, the ServiceAccounts whose annotations give attributes, and
// the ServiceAccounts and Pods tokens are bound to.
func (b *Bundle) Config(a *Authentication) authn.Config {
	cfg := authn.Config{
		Authentication:  a.BrokerAuthentication,
		ConfigMaps:      map[string]*corev1.ConfigMap{},
		Secrets:         map[string]*corev1.Secret{},
		ServiceAccounts: map[string]*corev1.ServiceAccount{},
		Pods:            map[string]*corev1.Pod{},
	}
	ns := a.Namespace
	if ns == "" {
		ns = api.BrokerNamespace // where manifests without one are applied
	}
	for _, cm := range b.ConfigMaps {
		if sameNamespace(cm.Namespace, ns) {
			cfg.ConfigMaps[cm.Name] = cm
		}
	}
	for _, s := range b.Secrets {
		if sameNamespace(s.Namespace, ns) {
			cfg.Secrets[s.Name] = s
		}
	}
	key := func(o metav1.Object) string {
		if o.GetNamespace() == "" {
			return ns + "/" + o.GetName()
		}
		return o.GetNamespace() + "/" + o.GetName()
	}
	for _, sa := range b.ServiceAccounts {
		cfg.ServiceAccounts[key(sa)] = sa
	}
	for _, pod := range b.Pods {
		cfg.Pods[key(pod)] = pod
	}
	return cfg
}
