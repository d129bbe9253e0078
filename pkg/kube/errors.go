package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// forbiddenRE picks the user, verb, resource, API group and namespace out of
// the API server's Forbidden message (apiserver responsewriters), which is
// the only place the server says who was refused what.
var forbiddenRE = regexp.MustCompile(`User "([^"]*)" cannot (\S+) (?:resource "([^"]*)" in API group "([^"]*)"(?: in the namespace "([^"]*)"| at the cluster scope)|path "([^"]*)")`)

// Explain turns the error of a cluster call into a *ClusterError of one
// line that says what was attempted and why it failed: a missing
// namespace, an RBAC refusal (naming the user, verb and resource), an
// unreachable or untrusted server, rejected credentials. action says what
// was attempted, e.g. "apply configmap/client-ca". Errors it does not
// recognise keep their message, flattened to one line.
func (c *Client) Explain(err error, action string) error {
	if err == nil {
		return nil
	}
	var ce *ClusterError
	var cfg *ConfigError
	if errors.As(err, &ce) || errors.As(err, &cfg) {
		return err
	}
	kind, cause := c.cause(err)
	return &ClusterError{Action: action, Cause: cause, Kind: kind, Err: err}
}

// FailureKind says why a cluster call failed. The command layer chooses
// the exit status from it: whether the cluster could not be asked, or
// answered that the request is wrong.
type FailureKind int

// The kinds of failure of a cluster call.
const (
	// Unreachable: no usable answer: the connection was refused, the host
	// did not resolve, TLS failed (an untrusted or mismatched server
	// certificate), or the server did not answer in time.
	Unreachable FailureKind = iota + 1
	// Unauthorized: the cluster rejected the credentials in use (401).
	Unauthorized
	// Forbidden: the cluster refused the request to this user (403).
	Forbidden
	// Unavailable: the cluster could not serve the request then (5xx, 429
	// Too Many Requests, a server-side timeout).
	Unavailable
	// BadAnswer: the cluster answered something other than what the API
	// promises (not JSON, not a key set).
	BadAnswer
	// Rejected: the cluster answered that the request is wrong as given: a
	// namespace or object that does not exist, a conflict, an invalid
	// object.
	Rejected
)

// String names the kind, for tests and documentation.
func (k FailureKind) String() string {
	switch k {
	case Unreachable:
		return "unreachable"
	case Unauthorized:
		return "unauthorized"
	case Forbidden:
		return "forbidden"
	case Unavailable:
		return "unavailable"
	case BadAnswer:
		return "bad answer"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("FailureKind(%d)", int(k))
}

// ClusterError is a failed cluster call, explained. It wraps the client-go
// error, so apierrors.IsNotFound and friends still work on it.
type ClusterError struct {
	// Action is what was attempted ("apply configmap/client-ca ...").
	Action string
	// Cause is the explanation, one line.
	Cause string
	// Kind is why the call failed.
	Kind FailureKind
	Err  error
}

func (e *ClusterError) Error() string { return "cannot " + e.Action + ": " + e.Cause }

// Unwrap returns the client-go error.
func (e *ClusterError) Unwrap() error { return e.Err }

// ConfigError is a kubeconfig, or a connection flag, that no client can be
// built from: missing, unreadable, broken, or naming a context it lacks.
type ConfigError struct {
	Msg string
	Err error
}

func (e *ConfigError) Error() string { return e.Msg }

// Unwrap returns the client-go error, if any.
func (e *ConfigError) Unwrap() error { return e.Err }

func configErrorf(err error, format string, args ...any) *ConfigError {
	return &ConfigError{Msg: fmt.Sprintf(format, args...), Err: err}
}

func (c *Client) cause(err error) (FailureKind, string) {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return c.statusCause(status.Status())
	}
	if reason := unreachable(err); reason != "" {
		return Unreachable, fmt.Sprintf("cannot reach the cluster at %s: %s; check --kubeconfig and --context, and that the API server is running", c.Config.Host, reason)
	}
	return Unreachable, oneLine(err.Error())
}

func (c *Client) statusCause(s metav1.Status) (FailureKind, string) {
	msg := oneLine(s.Message)
	kind := statusKind(s)
	switch s.Reason {
	case metav1.StatusReasonForbidden:
		return kind, forbiddenCause(msg)
	case metav1.StatusReasonUnauthorized:
		who := "the credentials in use"
		if c.Context != "" {
			who = fmt.Sprintf("the credentials of context %q", c.Context)
		}
		return kind, fmt.Sprintf("the cluster at %s rejected %s (401 Unauthorized); log in again or choose another --context", c.Config.Host, who)
	case metav1.StatusReasonConflict:
		if strings.HasPrefix(msg, "Apply failed") {
			return kind, msg + "; rerun with --force-conflicts to take these fields over"
		}
	case metav1.StatusReasonNotFound:
		if s.Details != nil && s.Details.Kind == "namespaces" && s.Details.Name != "" {
			return kind, fmt.Sprintf("namespace %q does not exist; create it (kubectl create namespace %s) or choose another with -n", s.Details.Name, s.Details.Name)
		}
	}
	if msg == "" {
		msg = fmt.Sprintf("%s (HTTP %d)", s.Reason, s.Code)
	}
	return kind, msg
}

// statusKind sorts an API server's refusal: 401 and 403 are about who
// asks, 429, 5xx and timeouts about the server, and the other 4xx about
// the request.
func statusKind(s metav1.Status) FailureKind {
	switch {
	case s.Reason == metav1.StatusReasonUnauthorized || s.Code == 401:
		return Unauthorized
	case s.Reason == metav1.StatusReasonForbidden || s.Code == 403:
		return Forbidden
	case s.Reason == metav1.StatusReasonTimeout || s.Reason == metav1.StatusReasonServerTimeout ||
		s.Code == 408 || s.Code == 429 || s.Code >= 500 || s.Code < 400:
		return Unavailable
	}
	return Rejected
}

// forbiddenCause rewrites the server's Forbidden message to say who may not
// do what, and what to do about it.
func forbiddenCause(msg string) string {
	m := forbiddenRE.FindStringSubmatch(msg)
	if m == nil {
		return msg + "; ask a cluster admin for RBAC permission"
	}
	user, verb := m[1], m[2]
	if path := m[6]; path != "" {
		return fmt.Sprintf("user %q is not allowed to %s %s; ask a cluster admin for RBAC permission, or choose another --context or --as", user, verb, path)
	}
	resource := m[3]
	if group := m[4]; group != "" {
		resource += "." + group
	}
	where := "at the cluster scope"
	if ns := m[5]; ns != "" {
		where = fmt.Sprintf("in namespace %q", ns)
	}
	return fmt.Sprintf("user %q is not allowed to %s %s %s; ask a cluster admin for an RBAC role that grants it, or choose another --context or --as", user, verb, resource, where)
}

// unreachable returns why the server could not be talked to at all (the
// connection or TLS failed, or it did not answer in time), or "".
func unreachable(err error) string {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var urlErr *url.Error
	switch {
	case errors.As(err, &unknownAuthority):
		return "its certificate is signed by an unknown authority (the kubeconfig's certificate-authority does not match)"
	case errors.As(err, &hostname):
		return oneLine(hostname.Error())
	case errors.As(err, &invalid):
		return oneLine(invalid.Error())
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve host %q", dnsErr.Name)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return "no answer in time"
	case errors.As(err, &opErr):
		return oneLine(opErr.Err.Error())
	case errors.As(err, &urlErr):
		var netErr net.Error
		if errors.As(urlErr.Err, &netErr) && netErr.Timeout() {
			return "no answer in time"
		}
		return oneLine(urlErr.Err.Error())
	}
	return ""
}

// explainConfigError makes kubeconfig problems one line that says what to do.
func explainConfigError(err error, flags *ConfigFlags) *ConfigError {
	switch {
	case clientcmd.IsEmptyConfig(err):
		return configErrorf(err, "no cluster configured: no kubeconfig found; pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config")
	case clientcmd.IsContextNotFound(err) || (strings.Contains(err.Error(), "context") && strings.Contains(err.Error(), "does not exist")):
		return configErrorf(err, "kubeconfig: %s; `kubectl config get-contexts` lists the contexts", oneLine(err.Error()))
	case errors.Is(err, fs.ErrNotExist):
		if flags.KubeConfig != nil && *flags.KubeConfig != "" {
			return configErrorf(err, "--kubeconfig %s: no such file", *flags.KubeConfig)
		}
	}
	return configErrorf(err, "kubeconfig: %s", oneLine(err.Error()))
}

// oneLine joins a multi-line message (client-go aggregates errors with
// newlines) so that main prints exactly one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "\n") {
		return s
	}
	parts := strings.Split(s, "\n")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}
