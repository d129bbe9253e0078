package customauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds one authentication (including a 422 retry). The
// broker holds the client's CONNECT while it waits, so the wait must be short.
const DefaultTimeout = 5 * time.Second

// maxBody caps how much of an answer is read: answers are a few hundred
// bytes, and a misbehaving server must not make us buffer without end.
const maxBody = 1 << 20

// Options configure a Client the way a BrokerAuthentication's customSettings
// configure the broker.
type Options struct {
	// CACerts are the PEM certificates that may sign the server's
	// certificate (the caCertConfigMap). Empty: the system roots.
	CACerts []byte
	// ClientCertificate is the broker's own certificate (auth.x509), nil
	// for none.
	ClientCertificate *tls.Certificate
	// Headers are sent with every request.
	Headers map[string]string
	// Timeout bounds each Authenticate call; DefaultTimeout when zero.
	Timeout time.Duration
}

// Client calls one custom authentication server. It keeps its connections
// open between calls, so reuse it across clients.
type Client struct {
	endpoint *url.URL
	headers  map[string]string
	timeout  time.Duration
	http     *http.Client
	// ownCA says the server is trusted through the configured CA
	// (caCertConfigMap) rather than the system's roots.
	ownCA bool
}

// NewClient returns a client for endpoint, which must be an https URL.
func NewClient(endpoint string, opts Options) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %v", endpoint, err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: must be an https:// URL: the broker sends client credentials to it", endpoint)
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(bytes.TrimSpace(opts.CACerts)) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(opts.CACerts) {
			return nil, errors.New("the CA for the auth server holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}
	if opts.ClientCertificate != nil {
		tlsConfig.Certificates = []tls.Certificate{*opts.ClientCertificate}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	transport := &http.Transport{
		// No proxy: the broker calls the server directly.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: timeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{
		endpoint: u,
		headers:  opts.Headers,
		timeout:  timeout,
		ownCA:    tlsConfig.RootCAs != nil,
		http: &http.Client{
			Transport: transport,
			// The API has no redirects; following one would send the
			// credentials somewhere the operator did not configure.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// Timeout is the bound on one Authenticate call.
func (c *Client) Timeout() time.Duration { return c.timeout }

// URL is where a request with api-version version goes:
// <endpoint>/?api-version=<version>.
func (c *Client) URL(version string) string {
	u := *c.endpoint
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	q := u.Query()
	q.Set("api-version", version)
	u.RawQuery = q.Encode()
	return u.String()
}

// Authenticate sends req and interprets the answer as the broker does: 200
// grants (with no attributes when the answer has none), 403 denies whatever
// its body, 422 is retried once with a version the server supports, and
// anything else, including no answer within the timeout, is Unreachable
// with the cause. The error is only for a request that cannot be encoded.
func (c *Client) Authenticate(ctx context.Context, req *Request) (*Result, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res := &Result{}
	version := APIVersion
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		res.Version = version
		res.URL = c.URL(version)
		status, answer, sent, err := c.post(ctx, res.URL, body)
		res.Status = status
		res.Sent = res.Sent || sent
		if err != nil {
			res.Outcome, res.Cause = Unreachable, c.describeFailure(ctx, err)
			return res, nil
		}
		switch {
		case status == http.StatusOK:
			var g GrantedResponse
			if err := decodeStrict(answer, &g); err != nil {
				return unreachable(res, "200 with a malformed body: %v", err), nil
			}
			res.Outcome, res.Attributes, res.Expiry = Granted, g.Attributes, g.Expiry
			return res, nil
		case status == http.StatusForbidden:
			res.Outcome = Denied
			res.Reason, res.Message, res.Problem = denial(answer)
			return res, nil
		case status == http.StatusUnprocessableEntity && attempt == 1:
			var u UnsupportedVersionResponse
			if err := decodeStrict(answer, &u); err != nil {
				return unreachable(res, "422 with a malformed body: %v", err), nil
			}
			next := ""
			for _, v := range u.SupportedVersions {
				if v != version && v != "" {
					next = v
					break
				}
			}
			if next == "" {
				return unreachable(res, "422 unsupported api-version %s, and supportedVersions %q offers no other", version, u.SupportedVersions), nil
			}
			version = next
			continue
		case status == http.StatusUnprocessableEntity:
			return unreachable(res, "422 again after retrying with api-version %s", version), nil
		default:
			return unreachable(res, "%d %s%s", status, http.StatusText(status), excerpt(answer)), nil
		}
	}
}

func unreachable(res *Result, format string, args ...any) *Result {
	res.Outcome = Unreachable
	res.Cause = fmt.Sprintf(format, args...)
	return res
}

// denial reads a 403's body. A 403 is a denial whatever it holds: what is
// wrong with the body is problem, and a reason that is no reason code is
// left out (the caller falls back to its default code).
func denial(body []byte) (reason *uint8, message, problem string) {
	var fields map[string]json.RawMessage
	if err := decodeStrict(body, &fields); err != nil || fields == nil {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, "", `an empty body instead of JSON {"reason": N}`
		}
		return nil, "", `a body that is not JSON {"reason": N}` + excerpt(body)
	}
	if m, ok := fields["message"]; ok && string(m) != "null" {
		if err := json.Unmarshal(m, &message); err != nil {
			problem = `"message" ` + shortJSON(m) + ` is not a string`
		}
	}
	if r, ok := fields["reason"]; ok && string(r) != "null" {
		n, err := strconv.ParseUint(string(r), 10, 8)
		if err != nil {
			return nil, message, `"reason" ` + shortJSON(r) + " is not a reason code (a whole number from 0 to 255)"
		}
		code := uint8(n)
		reason = &code
	}
	return reason, message, problem
}

// shortJSON shows a JSON value on one short line.
func shortJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		b.Reset()
		b.Write(raw)
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// post sends one request; sent says it was written to the server, which a
// failed connection or TLS handshake prevents.
func (c *Client) post(ctx context.Context, target string, body []byte) (status int, answer []byte, sent bool, err error) {
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	})
	status, answer, err = c.do(ctx, target, body)
	return status, answer, wrote.Load(), err
}

func (c *Client) do(ctx context.Context, target string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range c.headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, answer, nil
}

// describeFailure turns a transport error into the cause an operator can act
// on: no answer in time, TLS trust, or the connection itself.
func (c *Client) describeFailure(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", c.timeout)
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verification *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknownAuthority) && c.ownCA:
		return "TLS: the server's certificate is not signed by the configured CA (caCertConfigMap)"
	case errors.As(err, &unknownAuthority):
		return "TLS: the server's certificate is not signed by a CA of the system's roots, which are what is trusted without a caCertConfigMap: name the ConfigMap holding the auth server's CA there"
	case errors.As(err, &hostname):
		return "TLS: " + hostname.Error()
	case errors.As(err, &invalid):
		return "TLS: " + invalid.Error()
	case errors.As(err, &verification):
		return "TLS: " + verification.Err.Error()
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return err.Error()
}

// decodeStrict decodes a JSON object, refusing trailing data, so a body the
// API does not define is reported as malformed rather than half-read.
func decodeStrict(data []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// excerpt shows the start of a text answer (400 and 405 carry a message).
func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return ": " + s
}
