package audit

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// ObjectPath is the name findings give a live object in place of a file:
// NAMESPACE/KIND/NAME, kind in lower case ("azure-iot-operations/
// brokerlistener/default"). Lines and columns of findings refer to the
// object as `kubectl get KIND NAME -n NAMESPACE -o yaml` prints it.
func ObjectPath(namespace, kind, name string) string {
	return namespace + "/" + strings.ToLower(kind) + "/" + name
}

// render writes an object the way `kubectl get -o yaml` prints it (keys
// sorted, managedFields omitted) and parses it back as a manifest, so that
// lint's rules and field positions apply to it unchanged.
func render(obj map[string]any) (*manifest.File, error) {
	u := unstructured.Unstructured{Object: obj}
	u = *u.DeepCopy()
	u.SetManagedFields(nil)
	data, err := yaml.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("rendering %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return manifest.Parse(ObjectPath(u.GetNamespace(), u.GetKind(), u.GetName()), data), nil
}

// renderTyped renders a typed built-in object (ConfigMap, Secret, Pod),
// whose list items come without apiVersion and kind.
func renderTyped(obj runtime.Object, apiVersion, kind string) (*manifest.File, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	m["apiVersion"], m["kind"] = apiVersion, kind
	return render(m)
}
