package kube

import (
	"context"
	"net/http"
	"sync"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// The tool reads and writes a handful of built-in resources of two API
// groups. It talks to them with REST clients over a scheme of just those
// groups, making the same requests client-go's typed clients make (protobuf
// preferred, the same query parameters): the clientset would register, and
// link into the binary, every built-in API group with its typed client.

// builtinScheme is the scheme of the built-in types the tool uses, built on
// first use so that commands that never reach a cluster do not pay for it.
var builtinScheme = sync.OnceValue(func() *typedScheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, authenticationv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err) // registering generated types cannot fail
		}
	}
	// The options of every request (GetOptions, ListOptions, ...) in the
	// unversioned form, as client-go's scheme has them.
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return &typedScheme{scheme: s, codecs: serializer.NewCodecFactory(s), params: runtime.NewParameterCodec(s)}
})

type typedScheme struct {
	scheme *runtime.Scheme
	codecs serializer.CodecFactory
	params runtime.ParameterCodec
}

// Scheme returns the scheme of the built-in types the tool reads and writes
// (core/v1 and authentication.k8s.io/v1), for printing them as kubectl does.
func Scheme() *runtime.Scheme { return builtinScheme().scheme }

// restClientFor returns a REST client of the built-in group version gv
// (apiPath "/api" for the core group, "/apis" for the others), configured
// as client-go's generated client of that group configures itself; cfg
// already carries the user agent (newClients sets the default one).
func restClientFor(cfg *rest.Config, hc *http.Client, apiPath string, gv schema.GroupVersion) (*rest.RESTClient, error) {
	ts := builtinScheme()
	c := *cfg
	c.GroupVersion = &gv
	c.APIPath = apiPath
	c.NegotiatedSerializer = rest.CodecFactoryForGeneratedClient(ts.scheme, ts.codecs).WithoutConversion()
	return rest.RESTClientForConfigAndClient(&c, hc)
}

// getObject reads one namespaced core/v1 object.
func (c *Client) getObject(ctx context.Context, resource, ns, name string, into runtime.Object) error {
	return c.core.Get().
		UseProtobufAsDefault().
		NamespaceIfScoped(ns, ns != "").
		Resource(resource).
		Name(name).
		VersionedParams(&metav1.GetOptions{}, builtinScheme().params).
		Do(ctx).
		Into(into)
}

// listObjects lists one page of a core/v1 resource in ns ("" for all
// namespaces).
func (c *Client) listObjects(ctx context.Context, resource, ns string, opts metav1.ListOptions, into runtime.Object) error {
	return c.core.Get().
		UseProtobufAsDefault().
		NamespaceIfScoped(ns, ns != "").
		Resource(resource).
		VersionedParams(&opts, builtinScheme().params).
		Do(ctx).
		Into(into)
}

// patchObject patches one namespaced core/v1 object.
func (c *Client) patchObject(ctx context.Context, resource, ns, name string, pt types.PatchType, body []byte, opts metav1.PatchOptions, into runtime.Object) error {
	return c.core.Patch(pt).
		UseProtobufAsDefault().
		NamespaceIfScoped(ns, ns != "").
		Resource(resource).
		Name(name).
		VersionedParams(&opts, builtinScheme().params).
		Body(body).
		Do(ctx).
		Into(into)
}

// createToken asks for a token of service account ns/name (the
// serviceaccounts/token subresource).
func (c *Client) createToken(ctx context.Context, ns, name string, req *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	out := &authenticationv1.TokenRequest{}
	err := c.core.Post().
		UseProtobufAsDefault().
		Namespace(ns).
		Resource("serviceaccounts").
		Name(name).
		SubResource("token").
		VersionedParams(&metav1.CreateOptions{}, builtinScheme().params).
		Body(req).
		Do(ctx).
		Into(out)
	return out, err
}

// createTokenReview asks the API server to review a token.
func (c *Client) createTokenReview(ctx context.Context, review *authenticationv1.TokenReview) (*authenticationv1.TokenReview, error) {
	out := &authenticationv1.TokenReview{}
	err := c.authentication.Post().
		UseProtobufAsDefault().
		Resource("tokenreviews").
		VersionedParams(&metav1.CreateOptions{}, builtinScheme().params).
		Body(review).
		Do(ctx).
		Into(out)
	return out, err
}
