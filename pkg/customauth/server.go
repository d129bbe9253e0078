package customauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// MaxRequestBody caps a request body. A connect request carries at most a
// password and authentication data of 65,535 bytes each (MQTT's limit),
// base64, and a certificate chain of a few kilobytes; a larger body is
// refused with 413 before it is read to the end.
const MaxRequestBody = 1 << 20

// Event is what a server records about one request: one JSON line of
// serve custom-auth's --events. It never holds a password or authentication
// data.
type Event struct {
	Time time.Time `json:"time"`
	// Event is "request".
	Event string `json:"event"`
	// Remote is the caller's address (the broker).
	Remote string `json:"remote"`
	// Type is the request's type (connect, auth), "" when the request
	// broke the API before it was read.
	Type     string  `json:"type,omitempty"`
	Username *string `json:"username,omitempty"`
	// Decision is granted (200), denied (403) or rejected (any other
	// status: the request broke the API).
	Decision string `json:"decision"`
	Status   int    `json:"status"`
	// Reason is a denial's MQTT reason code.
	Reason *uint8 `json:"reason,omitempty"`
	// Message is a denial's message, or why the request was rejected.
	Message string `json:"message,omitempty"`
	// Entry is "file:line" of the users file entry that decided.
	Entry string `json:"entry,omitempty"`
}

// The decisions of an Event.
const (
	DecisionGranted  = "granted"
	DecisionDenied   = "denied"
	DecisionRejected = "rejected"
)

// Server answers the custom authentication API 0.5.0 from a users file, the
// way Microsoft's auth-server-template answers it: POST
// /?api-version=0.5.0 with a JSON body; 405 for another method, 400 for a
// content type other than application/json, an empty body, a missing
// api-version or a body that is not a request; 404 for another path; 422
// with the supported versions for another api-version. The users file can
// be swapped while the server runs (SetUsers).
type Server struct {
	users atomic.Pointer[Users]
	// Now is the clock expiries count from; time.Now when nil.
	Now func() time.Time
	// OnRequest, when set, is called once per request with its event,
	// from the request's goroutine.
	OnRequest func(Event)
}

// NewServer returns a server answering from users.
func NewServer(users *Users) *Server {
	s := &Server{}
	s.users.Store(users)
	return s
}

// Users is the users file the server answers from now.
func (s *Server) Users() *Users { return s.users.Load() }

// SetUsers makes the server answer from users from the next request on;
// requests being answered finish with the file they started with.
func (s *Server) SetUsers(users *Users) { s.users.Store(users) }

// Reload reads the users file again (from the path of the one in use) and
// answers from it when it is good. When it is not, the server keeps the file
// it had and the error says why.
func (s *Server) Reload() error {
	u, err := LoadUsers(s.Users().Path)
	if err != nil {
		return err
	}
	s.SetUsers(u)
	return nil
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	d := s.decide(w, r, now)
	if d.JSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(d.Status)
	w.Write(d.Body)
	if s.OnRequest != nil {
		s.OnRequest(eventOf(d, r.RemoteAddr, now))
	}
}

// decide checks the request in the order the broker's sample server does,
// so a request that breaks several rules gets the same status from both.
// Its texts are the sample's too.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, now time.Time) *Decision {
	d := &Decision{}
	// Before looking at the request, the sample reads the query (a part
	// without '=' is refused) and the whole body, as text.
	query, ok := parseQuery(r.URL.RawQuery, r.URL.ForceQuery)
	if !ok {
		return badRequest(d, "bad query value")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return reject(d, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxRequestBody))
	case err != nil:
		return badRequest(d, "unable to get body")
	case !utf8.Valid(body):
		return badRequest(d, "unable to parse body")
	}
	if r.Method != http.MethodPost {
		return reject(d, http.StatusMethodNotAllowed, r.Method+" not allowed")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		// The sample compares the whole header with application/json; a
		// charset parameter is accepted here, since it changes nothing
		// about the JSON and clients add it.
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return badRequest(d, "invalid content-type: "+ct)
		}
	}
	if len(body) == 0 {
		return badRequest(d, "missing body")
	}
	if r.URL.Path != "/" {
		return reject(d, http.StatusNotFound, r.URL.Path+" not found")
	}
	version, ok := query["api-version"]
	switch {
	case !ok:
		return badRequest(d, "missing api-version")
	case version != APIVersion:
		d.Status, d.JSON, d.Message = http.StatusUnprocessableEntity, true, "unsupported api-version "+version
		d.Body = mustJSON(UnsupportedVersionResponse{SupportedVersions: []string{APIVersion}})
		return d
	}
	var req Request
	if err := decodeStrict(body, &req); err != nil {
		return badRequest(d, "invalid client request body: "+err.Error())
	}
	return s.users.Load().Decide(&req, now)
}

// parseQuery reads a query as the sample server does: parts split on '&',
// each key=value with the key lowercased and the value as sent (not
// unescaped), the last of a repeated key winning. A part without '=' makes
// the query invalid.
func parseQuery(raw string, force bool) (map[string]string, bool) {
	q := map[string]string{}
	if raw == "" && !force {
		return q, true
	}
	for _, part := range strings.Split(raw, "&") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, false
		}
		q[strings.ToLower(k)] = v
	}
	return q, true
}

func reject(d *Decision, status int, msg string) *Decision {
	d.Status, d.Body, d.Message = status, []byte(msg), msg
	return d
}

func eventOf(d *Decision, remote string, now time.Time) Event {
	e := Event{Time: now.UTC(), Event: "request", Remote: remote, Type: d.Type, Username: d.Username,
		Status: d.Status, Reason: d.Reason, Message: d.Message, Entry: d.Entry}
	switch d.Status {
	case http.StatusOK:
		e.Decision = DecisionGranted
	case http.StatusForbidden:
		e.Decision = DecisionDenied
	default:
		e.Decision = DecisionRejected
	}
	return e
}

// mustJSON marshals the API's answer types, which cannot fail to marshal.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
