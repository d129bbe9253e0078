package kube

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// pod creates a pod run by serviceAccount; it stays Pending (no nodes).
func pod(t *testing.T, c *Client, ns, name, serviceAccount string) *corev1.Pod {
	t.Helper()
	p, err := clientset(c).CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			ServiceAccountName: serviceAccount,
			Containers:         []corev1.Container{{Name: "client", Image: "mosquitto"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating pod %s/%s: %v", ns, name, err)
	}
	return p
}

func TestRequestToken(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "token-request", "sensor", "other")
	c := adminClient(t, cp, ns)
	ctx := context.Background()

	before := time.Now()
	tok, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "sensor", Audiences: []string{"aio-internal"}, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, claims, err := sat.Decode(tok.Token)
	if err != nil {
		t.Fatalf("the cluster's token does not decode: %v", err)
	}
	if claims.Issuer != testenv.ServiceAccountIssuer || claims.Subject != "system:serviceaccount:token-request:sensor" {
		t.Errorf("iss %q sub %q", claims.Issuer, claims.Subject)
	}
	if !slices.Equal(claims.Audience, []string{"aio-internal"}) {
		t.Errorf("aud = %v, want [aio-internal]", claims.Audience)
	}
	if claims.Kubernetes == nil || claims.Kubernetes.Pod != nil {
		t.Errorf("kubernetes.io claim %+v, want one without a pod", claims.Kubernetes)
	}
	if life := claims.Expiry.Sub(before); life < 59*time.Minute || life > 61*time.Minute {
		t.Errorf("token lives %s, want about an hour", life)
	}
	if !tok.ExpiresAt.Equal(*claims.Expiry) {
		t.Errorf("ExpiresAt %s, the token says %s", tok.ExpiresAt, claims.Expiry)
	}

	t.Run("bound to a pod", func(t *testing.T) {
		p := pod(t, c, ns, "fan", "sensor")
		tok, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "sensor", Audiences: []string{"aio-internal"}, Duration: 10 * time.Minute, BoundPod: "fan"})
		if err != nil {
			t.Fatal(err)
		}
		_, claims, err := sat.Decode(tok.Token)
		if err != nil {
			t.Fatal(err)
		}
		if claims.Kubernetes == nil || claims.Kubernetes.Pod == nil || claims.Kubernetes.Pod.Name != "fan" || claims.Kubernetes.Pod.UID != string(p.UID) {
			t.Errorf("kubernetes.io claim %+v, want bound to pod fan (%s)", claims.Kubernetes, p.UID)
		}
	})

	t.Run("pod of another service account", func(t *testing.T) {
		pod(t, c, ns, "heater", "other")
		_, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "sensor", Audiences: []string{"aio-internal"}, Duration: time.Hour, BoundPod: "heater"})
		checkOneLine(t, err, Rejected, `^cannot request a token for serviceaccount "sensor" in namespace "token-request": cannot bind token for serviceaccount "sensor" to pod running with different serviceaccount name\.$`)
	})

	t.Run("missing pod", func(t *testing.T) {
		_, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "sensor", Duration: time.Hour, BoundPod: "gone"})
		checkOneLine(t, err, Rejected, `^cannot request a token for serviceaccount "sensor" in namespace "token-request" bound to pod gone: pods "gone" not found$`)
	})

	t.Run("missing service account", func(t *testing.T) {
		_, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "ghost", Duration: time.Hour})
		checkOneLine(t, err, Rejected, `^cannot request a token for serviceaccount "ghost" in namespace "token-request": serviceaccounts "ghost" not found$`)
	})

	t.Run("under ten minutes", func(t *testing.T) {
		// The constant the command refuses short durations with is the
		// API's own reason: ask the API to be sure.
		_, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "sensor", Duration: MinTokenDuration - time.Second})
		checkOneLine(t, err, Rejected, `^cannot request a token for serviceaccount "sensor" in namespace "token-request": .*599.*`+MinTokenDurationReason)
	})
}

func TestReviewToken(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "token-review", "sensor")
	c := adminClient(t, cp, ns)
	ctx := context.Background()

	tok, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "sensor", Audiences: []string{"aio-internal"}, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	granted, err := c.ReviewToken(ctx, tok.Token, []string{"aio-mq", "aio-internal"})
	if err != nil {
		t.Fatal(err)
	}
	if !granted.Authenticated || granted.Username != "system:serviceaccount:token-review:sensor" ||
		!slices.Equal(granted.Audiences, []string{"aio-internal"}) || !slices.Contains(granted.Groups, "system:serviceaccounts:token-review") {
		t.Errorf("review of a good token: %+v", granted)
	}

	wrong, err := c.ReviewToken(ctx, tok.Token, []string{"aio-mq"})
	if err != nil {
		t.Fatal(err)
	}
	if wrong.Authenticated || !strings.Contains(wrong.Error, "audience") {
		t.Errorf("review for another audience: %+v, want refused naming the audience", wrong)
	}

	if err := clientset(c).CoreV1().ServiceAccounts(ns).Delete(ctx, "sensor", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server learns of the deletion through its informer, and
	// caches successful authentications for a few seconds: the token
	// becomes invalid soon, not at once (the broker sees the same).
	var deleted *TokenReviewResult
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		deleted, err = c.ReviewToken(ctx, tok.Token, []string{"aio-internal"})
		if err != nil {
			t.Fatal(err)
		}
		if !deleted.Authenticated || time.Now().After(deadline) {
			break
		}
	}
	if deleted.Authenticated {
		t.Errorf("review 30s after the service account was deleted: still authenticated as %q", deleted.Username)
	}
	if deleted.Error == "" {
		t.Error("review after the service account was deleted gives no reason")
	}
	t.Logf("after deletion: %s", deleted.Error)

	nobody, err := NewClientForConfig(cp.RESTConfigAs(testenv.NobodyUser), ns)
	if err != nil {
		t.Fatal(err)
	}
	_, err = nobody.ReviewToken(ctx, tok.Token, []string{"aio-internal"})
	checkOneLine(t, err, Forbidden, `^cannot review a token with the TokenReview API: user "nobody" is not allowed to create tokenreviews\.authentication\.k8s\.io at the cluster scope`)
}

func TestFetchIssuerKeysVerifiesClusterTokens(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "issuer-keys", "sensor")
	c := adminClient(t, cp, ns)
	ctx := context.Background()

	keys, err := c.FetchIssuerKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if keys.Issuer != testenv.ServiceAccountIssuer {
		t.Errorf("issuer %q, want %q", keys.Issuer, testenv.ServiceAccountIssuer)
	}
	ks, err := sat.ParseKeySet(keys.JWKS)
	if err != nil {
		t.Fatalf("the cluster's JWKS does not parse: %v\n%s", err, keys.JWKS)
	}
	tok, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "sensor", Audiences: []string{"aio-internal"}, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ks.Verify(tok.Token); err != nil {
		t.Errorf("a token the cluster issued does not verify with its JWKS: %v", err)
	}
	// A token signed by another key (another control plane's, here a
	// tampered one) does not.
	parts := strings.Split(tok.Token, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	if _, _, err := ks.Verify(tampered); err == nil {
		t.Error("a tampered token verifies")
	}
}

// satAuthentication is a BrokerAuthentication of one ServiceAccountToken
// entry, for audience aio-internal.
const satAuthentication = `
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata: {name: default}
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings: {audiences: [aio-internal]}
`

// TestTokenReviewerDrivesTheEngine runs the explain engine on a bundle read
// from the cluster with the TokenReview verifier, as explain --from-cluster
// --token-review does.
func TestTokenReviewerDrivesTheEngine(t *testing.T) {
	cp := controlPlane(t)
	ns := namespace(t, cp, "engine-live", "sensor")
	c := adminClient(t, cp, ns)
	ctx := context.Background()
	createYAML(t, c, ns, satAuthentication)
	snap, err := c.ReadSnapshot(ctx, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := snap.Bundle()
	a, err := b.Authentication("")
	if err != nil {
		t.Fatal(err)
	}
	if a.Position != "engine-live/brokerauthentication/default" {
		t.Errorf("position %q", a.Position)
	}
	engine := authn.New(b.Config(a), authn.Options{TokenReview: c.TokenReviewer()})

	for _, tc := range []struct {
		audience string
		want     authn.Result
	}{
		{"aio-internal", authn.Granted},
		{"aio-mq", authn.Denied},
	} {
		tok, err := c.RequestToken(ctx, TokenRequest{ServiceAccount: "sensor", Audiences: []string{tc.audience}, Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		d := engine.Explain(ctx, authn.Credentials{AuthMethod: authn.SATMethod, AuthData: []byte(tok.Token)}, time.Now())
		if d.Decision != tc.want {
			t.Errorf("token for %s: decision %s, want %s: %+v", tc.audience, d.Decision, tc.want, d.Steps)
		}
	}
}
