package generate

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/v1beta1"
)

// ListenerOptions are the choices a BrokerListener is generated from,
// mirroring the flags of `generate listener`.
type ListenerOptions struct {
	// APIVersion is VersionV1 (default) or VersionV1beta1.
	APIVersion string
	// Name defaults to the service type's, e.g. loadbalancer-listener.
	Name      string
	Namespace string
	// Ports default to 8883 with TLS and 1883 without.
	Ports []int
	// Authn is the BrokerAuthentication every port references; empty
	// disables authentication on the ports.
	Authn string
	// NoTLS makes the ports plain TCP; otherwise TLS is Automatic, or
	// Manual with TLSSecret.
	NoTLS     bool
	TLSSecret string
	// ServiceType is ClusterIp, LoadBalancer (default) or NodePort, any
	// case.
	ServiceType string
	// Protocol is Mqtt (default) or WebSockets, any case.
	Protocol string
}

// The default ports of the broker's documentation: MQTT over TLS and plain.
const (
	DefaultTLSPort   = 8883
	DefaultPlainPort = 1883
)

// canonical maps a user's spelling to the API's enum value, any case (the
// API writes ClusterIp, Kubernetes ClusterIP: people type both).
func canonical[T ~string](flag, value string, allowed ...T) (T, error) {
	var names []string
	for _, a := range allowed {
		if strings.EqualFold(value, string(a)) {
			return a, nil
		}
		names = append(names, string(a))
	}
	return "", fmt.Errorf("%s %q: use %s", flag, value, strings.Join(names, ", "))
}

// Listener builds the BrokerListener (*v1.BrokerListener, or
// *v1beta1.BrokerListener for APIVersion v1beta1) and the warnings an
// operator should see about it.
func Listener(o ListenerOptions) (obj any, warnings []string, err error) {
	if o.APIVersion == "" {
		o.APIVersion = VersionV1
	}
	if o.APIVersion != VersionV1 && o.APIVersion != VersionV1beta1 {
		return nil, nil, fmt.Errorf("--api-version %q: use v1 (the GA broker) or v1beta1 (the mid-2024 preview)", o.APIVersion)
	}
	st := v1.ServiceTypeLoadBalancer
	if o.ServiceType != "" {
		if st, err = canonical("--service-type", o.ServiceType, v1.ServiceTypeClusterIP, v1.ServiceTypeLoadBalancer, v1.ServiceTypeNodePort); err != nil {
			return nil, nil, err
		}
	}
	proto := v1.ProtocolMqtt
	if o.Protocol != "" {
		if proto, err = canonical("--protocol", o.Protocol, v1.ProtocolMqtt, v1.ProtocolWebSockets); err != nil {
			return nil, nil, err
		}
	}
	if o.Name == "" {
		o.Name = strings.ToLower(string(st)) + "-listener"
	}
	if o.Namespace == "" {
		o.Namespace = api.BrokerNamespace
	}
	if err := ValidateName("--name", o.Name); err != nil {
		return nil, nil, err
	}
	if err := ValidateNamespace(o.Namespace); err != nil {
		return nil, nil, err
	}
	if o.Authn != "" {
		if err := ValidateName("--authn", o.Authn); err != nil {
			return nil, nil, err
		}
	}
	if o.NoTLS && o.TLSSecret != "" {
		return nil, nil, fmt.Errorf("--tls-secret cannot be used with --no-tls")
	}
	if o.TLSSecret != "" {
		if errs := validation.IsDNS1123Subdomain(o.TLSSecret); len(errs) > 0 {
			return nil, nil, fmt.Errorf("--tls-secret %q is not a Secret name: %s", o.TLSSecret, errs[0])
		}
	}
	ports := o.Ports
	if len(ports) == 0 {
		ports = []int{DefaultTLSPort}
		if o.NoTLS {
			ports = []int{DefaultPlainPort}
		}
	}
	spec := v1.BrokerListenerSpec{ServiceType: st}
	seen := map[int]bool{}
	var portList []string
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return nil, nil, fmt.Errorf("--port %d: use a TCP port from 1 to 65535", p)
		}
		if seen[p] {
			return nil, nil, fmt.Errorf("--port %d given twice", p)
		}
		seen[p] = true
		portList = append(portList, fmt.Sprint(p))
		lp := v1.ListenerPort{Port: int32(p), Protocol: proto, AuthenticationRef: o.Authn}
		switch {
		case o.NoTLS:
		case o.TLSSecret != "":
			lp.TLS = &v1.TLSCertMethod{Mode: v1.TLSModeManual, Manual: &v1.X509ManualCertificate{SecretRef: o.TLSSecret}}
		default:
			lp.TLS = &v1.TLSCertMethod{Mode: v1.TLSModeAutomatic}
		}
		spec.Ports = append(spec.Ports, lp)
	}
	ps := "port " + strings.Join(portList, ", ")
	if len(portList) > 1 {
		ps = "ports " + strings.Join(portList, ", ")
	}
	if o.NoTLS {
		warnings = append(warnings, fmt.Sprintf("%s without TLS: X509 client authentication needs TLS and will not work there, and credentials cross the network in clear", ps))
	}
	if o.Authn == "" {
		warnings = append(warnings, fmt.Sprintf("no --authn: authentication is disabled on %s, any client can connect", ps))
	}
	meta := metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}
	if o.APIVersion == VersionV1beta1 {
		return &v1beta1.BrokerListener{
			TypeMeta:   metav1.TypeMeta{APIVersion: api.APIVersionV1beta1, Kind: api.KindBrokerListener},
			ObjectMeta: meta, Spec: spec,
		}, warnings, nil
	}
	return &v1.BrokerListener{
		TypeMeta:   metav1.TypeMeta{APIVersion: api.APIVersionV1, Kind: api.KindBrokerListener},
		ObjectMeta: meta, Spec: spec,
	}, warnings, nil
}

// ListenerHeader is the comment written above a generated BrokerListener.
func ListenerHeader(obj any) []string {
	h := []string{"Generated by kubectl aio-authn generate listener."}
	var ref string
	switch l := obj.(type) {
	case *v1.BrokerListener:
		ref = l.Spec.Ports[0].AuthenticationRef
	case *v1beta1.BrokerListener:
		ref = l.Spec.Ports[0].AuthenticationRef
	}
	if ref != "" {
		h = append(h, fmt.Sprintf("Clients of these ports authenticate with BrokerAuthentication %q; apply both together.", ref))
	}
	return h
}
