// Package api holds the broker's API types (v1 and the v1beta1 preview shape
// in subpackages), their registration in a runtime.Scheme, and conversion of
// older generations to v1.
package api

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/v1beta1"
)

// Group is the broker's API group.
const Group = v1.Group

// BrokerNamespace is the namespace Azure IoT Operations installs the broker
// in: where its resources live, and where commands look unless -n says
// otherwise (a kubeconfig's default namespace is rarely the broker's).
const BrokerNamespace = "azure-iot-operations"

// The kinds this tool understands.
const (
	KindBrokerAuthentication = "BrokerAuthentication"
	KindBrokerListener       = "BrokerListener"
)

// Scheme knows both kinds in v1 and v1beta1.
var Scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	add := func(gv schema.GroupVersion, objs ...runtime.Object) {
		s.AddKnownTypes(gv, objs...)
		metav1.AddToGroupVersion(s, gv)
	}
	add(v1.SchemeGroupVersion, &v1.BrokerAuthentication{}, &v1.BrokerAuthenticationList{},
		&v1.BrokerListener{}, &v1.BrokerListenerList{})
	add(v1beta1.SchemeGroupVersion, &v1beta1.BrokerAuthentication{}, &v1beta1.BrokerAuthenticationList{},
		&v1beta1.BrokerListener{}, &v1beta1.BrokerListenerList{})
	return s
}
