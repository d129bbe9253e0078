package kube

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
)

// MinTokenDuration is the shortest token lifetime the TokenRequest API
// grants: it refuses shorter ones with MinTokenDurationReason.
const MinTokenDuration = 10 * time.Minute

// MinTokenDurationReason is the TokenRequest API's own words for a
// too-short duration, so that refusing one before calling the API says the
// same thing the API would.
const MinTokenDurationReason = "may not specify a duration less than 10 minutes"

// TokenRequest asks for a service account token.
type TokenRequest struct {
	// Namespace and ServiceAccount name the account; Namespace "" is the
	// client's namespace.
	Namespace      string
	ServiceAccount string
	// Audiences the token is for (its aud claim); empty means the API
	// server's own audience.
	Audiences []string
	// Duration is the requested lifetime; zero leaves it to the server
	// (one hour).
	Duration time.Duration
	// BoundPod binds the token to a pod of the same namespace, run by the
	// service account: the token stops being valid when the pod is deleted.
	BoundPod string
}

// Token is a token the cluster issued.
type Token struct {
	Token string
	// ExpiresAt is when the server says it expires; it can be earlier
	// than asked for when the cluster caps token lifetimes.
	ExpiresAt time.Time
}

// RequestToken calls the TokenRequest API
// (POST .../serviceaccounts/NAME/token). It does not second-guess the
// request: a duration under MinTokenDuration is sent and refused by the
// server, whose reason the returned error carries.
func (c *Client) RequestToken(ctx context.Context, r TokenRequest) (*Token, error) {
	ns := r.Namespace
	if ns == "" {
		ns = c.Namespace
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: r.Audiences}}
	if r.Duration != 0 {
		seconds := int64(r.Duration / time.Second)
		req.Spec.ExpirationSeconds = &seconds
	}
	action := fmt.Sprintf("request a token for serviceaccount %q in namespace %q", r.ServiceAccount, ns)
	if r.BoundPod != "" {
		// A bound object reference needs the pod's UID, so that a new pod
		// of the same name does not inherit the token.
		pod := &corev1.Pod{}
		if err := c.getObject(ctx, "pods", ns, r.BoundPod, pod); err != nil {
			return nil, c.Explain(err, action+" bound to pod "+r.BoundPod)
		}
		req.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{
			APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID,
		}
	}
	out, err := c.createToken(ctx, ns, r.ServiceAccount, req)
	if err != nil {
		return nil, c.Explain(err, action)
	}
	return &Token{Token: out.Status.Token, ExpiresAt: out.Status.ExpirationTimestamp.Time}, nil
}

// TokenReviewResult is the TokenReview API's verdict on a token.
type TokenReviewResult struct {
	// Authenticated is true when the token is valid for one of the
	// audiences asked for.
	Authenticated bool
	// Username, UID and Groups identify the service account the token
	// belongs to (when authenticated).
	Username string
	UID      string
	Groups   []string
	// Extra holds the user's extra attributes, such as the bound pod's
	// name (authentication.kubernetes.io/pod-name).
	Extra map[string][]string
	// Audiences are those of the requested audiences the token is valid
	// for.
	Audiences []string
	// Error is the server's reason for refusing the token.
	Error string
}

// ReviewToken asks the TokenReview API whether token is valid for one of
// audiences, exactly as the broker does: the server checks the signature,
// the expiry, the audience, and that the service account (and the bound
// pod, if any) still exists. A refused token is a result, not an error;
// errors are failures to ask.
func (c *Client) ReviewToken(ctx context.Context, token string, audiences []string) (*TokenReviewResult, error) {
	review := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: audiences}}
	out, err := c.createTokenReview(ctx, review)
	if err != nil {
		return nil, c.Explain(err, "review a token with the TokenReview API")
	}
	res := &TokenReviewResult{
		Authenticated: out.Status.Authenticated,
		Username:      out.Status.User.Username,
		UID:           out.Status.User.UID,
		Groups:        out.Status.User.Groups,
		Audiences:     out.Status.Audiences,
		Error:         out.Status.Error,
	}
	if len(out.Status.User.Extra) > 0 {
		res.Extra = map[string][]string{}
		for k, v := range out.Status.User.Extra {
			res.Extra[k] = []string(v)
		}
	}
	return res, nil
}
