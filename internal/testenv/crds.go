package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// crdEstablishTimeout bounds the wait for CRDs when ctx has no deadline.
const crdEstablishTimeout = 30 * time.Second

// InstallCRDs creates the CustomResourceDefinitions (apiextensions.k8s.io/v1)
// in crdYAML, each element a YAML or JSON file that may hold several
// documents, and waits until every one is Established, i.e. its resources
// are served. A CRD that already exists is updated to the given spec, so
// tests sharing a control plane can each install what they need. Documents
// of other kinds are an error.
func (cp *ControlPlane) InstallCRDs(ctx context.Context, crdYAML [][]byte) error {
	var crds []*apiextensionsv1.CustomResourceDefinition
	for i, data := range crdYAML {
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for doc := 0; ; doc++ {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			err := dec.Decode(crd)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("CRD file %d, document %d: %w", i, doc, err)
			}
			if crd.Kind == "" && crd.Name == "" {
				continue // empty document
			}
			if crd.Kind != "CustomResourceDefinition" || crd.APIVersion != apiextensionsv1.SchemeGroupVersion.String() {
				return fmt.Errorf("CRD file %d, document %d: %s %s %q is not an %s CustomResourceDefinition",
					i, doc, crd.APIVersion, crd.Kind, crd.Name, apiextensionsv1.SchemeGroupVersion)
			}
			crds = append(crds, crd)
		}
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, crdEstablishTimeout)
		defer cancel()
	}
	client, err := apiextensionsclient.NewForConfig(cp.RESTConfig())
	if err != nil {
		return err
	}
	api := client.ApiextensionsV1().CustomResourceDefinitions()
	for _, crd := range crds {
		_, err := api.Create(ctx, crd, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			err = updateCRD(ctx, client, crd)
		}
		if err != nil {
			return fmt.Errorf("installing CRD %s: %w", crd.Name, err)
		}
	}
	for _, crd := range crds {
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			got, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return established(got), nil
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s to be Established: %w", crd.Name, err)
		}
	}
	return nil
}

func updateCRD(ctx context.Context, client apiextensionsclient.Interface, crd *apiextensionsv1.CustomResourceDefinition) error {
	api := client.ApiextensionsV1().CustomResourceDefinitions()
	existing, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	existing.Spec = crd.Spec
	existing.Labels = crd.Labels
	existing.Annotations = crd.Annotations
	_, err = api.Update(ctx, existing, metav1.UpdateOptions{})
	return err
}

// established reports whether a CRD's names are accepted and its resources
// served.
func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	var est, names bool
	for _, c := range crd.Status.Conditions {
		switch c.Type {
		case apiextensionsv1.Established:
			est = c.Status == apiextensionsv1.ConditionTrue
		case apiextensionsv1.NamesAccepted:
			names = c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return est && names
}
